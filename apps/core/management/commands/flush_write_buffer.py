"""`manage.py flush_write_buffer [--kind K ...]`: write the write-behind buffer to Postgres now."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from apps.core import buffer


class Command(BaseCommand):
    help = (
        "Flush the Redis write-behind buffer to Postgres (every registered kind, or those named "
        "with --kind) and print, per kind, how many records were flushed and how long it took."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--kind",
            action="append",
            dest="kinds",
            metavar="KIND",
            help="Only this kind (repeatable).",
        )
        parser.add_argument(
            "--wait",
            type=float,
            default=10.0,
            help="Seconds to wait for a shard another flush holds before skipping it (default 10).",
        )
        parser.add_argument("--workers", type=int, default=None, help="Parallel shard flushes.")

    def handle(self, *args, **options):
        known = {k.name: k for k in buffer.registered_kinds()}
        names = options["kinds"] or sorted(known)
        unknown = sorted(set(names) - set(known))
        if unknown:
            raise CommandError(
                f"Unknown buffer kind(s): {', '.join(unknown)}. Registered: {', '.join(sorted(known)) or 'none'}"
            )
        if not names:
            self.stdout.write("No write-buffer kinds are registered.")
            return
        failed = []
        for name in names:
            try:
                result = buffer.flush(name, wait=options["wait"], workers=options["workers"])
            except Exception as exc:  # noqa: BLE001 - report, go on with the other kinds
                failed.append(name)
                self.stderr.write(f"{name}: flush failed: {exc.__class__.__name__}: {exc}")
                continue
            line = (
                f"{name}: flushed {result.records} record(s) ({result.written} written) "
                f"from {result.shards} shard(s) in {result.seconds:.3f} s"
            )
            if result.dead:
                line += f"; {result.dead} set aside (see stats 'dead')"
            if result.skipped:
                line += f"; {result.skipped} shard(s) busy with another flush, skipped"
            self.stdout.write(line)
        if failed:
            raise CommandError(f"Flushing failed for: {', '.join(failed)}")
