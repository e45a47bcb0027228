from django.http import HttpResponse


def home(request):
    return HttpResponse("")


def district_map(request):
    return HttpResponse("")
