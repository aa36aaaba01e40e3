from rest_framework.pagination import PageNumberPagination


class StandardPagination(PageNumberPagination):
    """Page-number pagination; clients pick `page_size` up to a hard cap."""

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 200
