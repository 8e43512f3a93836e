"""Template context shared by every portal page."""


def portal(request):
    return {}
