"""URLs of the page benchmark (benchmarks/pages.py): the product's own, plus the floor.

The floor is the cheapest page a signed-in user can get: it only reads `request.user`, so it pays
exactly what every page pays before its own work (session lookup, user lookup, middleware). It
exists only inside the benchmark process, which points ROOT_URLCONF here; the product never
serves it.
"""

from django.http import HttpResponse
from django.urls import path

from govdata.urls import urlpatterns as product_urlpatterns


def floor(request):
    return HttpResponse(request.user.get_username(), content_type="text/plain; charset=utf-8")


urlpatterns = [path("__floor__/", floor, name="benchmark_floor"), *product_urlpatterns]
