"""The project's PostgreSQL database backend (ENGINE "apps.core.postgresql"): Django's own,
with a health check that trusts a connection PostgreSQL answered on moments ago (`base`)."""
