"""PDF documents: the builder and its parts (see document.py)."""

from apps.core.pdf.document import Column, Document, Letterhead

__all__ = ["Column", "Document", "Letterhead"]
