"""Names vulture (`make lint`) cannot see being used: the frameworks pass or read them.

Never imported; every line only "uses" a name. Keep it short: a name belongs here only when a
framework fixes it, never to hide our own dead code.
"""

# Django signal receivers are called with sender=... as a keyword.
sender
# Django system checks: check(app_configs, **kwargs).
app_configs
# DRF renderers: render(data, accepted_media_type, renderer_context).
accepted_media_type
renderer_context
# DRF APIView.perform_content_negotiation(request, force).
force
# Admin list filters: lookups(request, model_admin).
model_admin
# AppConfig.ready() imports these for their side effects (buffer kinds and checks register).
buffer_kinds
checks
# ModelAdmin.response_add(request, obj, post_url_continue=None).
post_url_continue
# Django upload handlers: file_complete(file_size).
file_size
# drf-spectacular's OpenApiAuthenticationExtension.get_security_definition(auto_schema).
auto_schema
