"""The portal's <select> rendering writes what Django's templates write (blank lines aside)."""
from __future__ import annotations

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates

from certdesk.web.forms.renderer import PortalFormRenderer


class Sample(forms.Form):
    plain = forms.ChoiceField(choices=[("", "All"), (1, "Arts & <Sciences>"), ("Group", [(2, "two"), (3, 'th"ree')])],
                              required=False)
    several = forms.MultipleChoiceField(choices=[(1, "x"), (2, "y")],
                                        widget=forms.SelectMultiple(attrs={"aria-describedby": "help", "disabled": True}))
    typed = forms.TypedChoiceField(choices=[(7, "seven")], coerce=int)


def _lines(html: str) -> list[str]:
    return [line for line in str(html).splitlines() if line.strip()]


@pytest.mark.parametrize("data", [None, {"plain": "3", "several": ["1", "2"], "typed": "7"}, {"plain": "nope"}])
def test_select_html_matches_django(data):
    for name in ("plain", "several", "typed"):
        django_html = Sample(data, renderer=DjangoTemplates())[name]
        ours = Sample(data, renderer=PortalFormRenderer())[name]
        assert _lines(ours) == _lines(django_html)


def test_portal_uses_it(settings):
    assert settings.FORM_RENDERER == "certdesk.web.forms.renderer.PortalFormRenderer"
    assert "<script" not in str(Sample({"plain": "<script>"}, renderer=PortalFormRenderer())["plain"])
