"""Pages drawn for a signed-in person hold tickets and customers' words: no shared or browser cache keeps them."""

from django.utils.cache import patch_cache_control


class PrivatePagesMiddleware:
    """Static files (answered by WhiteNoise before this runs) and anonymous requests such as /healthz keep theirs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response
