"""The harness itself catches what it promises to catch (so a green journey means something)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_a_request_to_another_origin_and_a_console_error_are_problems(journey):
    j = journey("harness-self-check")
    j.goto("/accounts/login/")
    j.page.evaluate(
        """() => { const s = document.createElement('script');
             s.src = 'https://unpkg.com/nothing.js'; document.head.appendChild(s);
             console.error('boom'); }"""
    )
    j.page.wait_for_timeout(300)
    text = "\n".join(j.problems)
    assert "request to another origin: https://unpkg.com/nothing.js" in text
    assert "boom" in text
    with pytest.raises(AssertionError):
        j.check()


def test_chinese_outside_translate_no_is_untranslated_on_en(journey):
    j = journey("harness-language", lang="en")
    j.goto("/accounts/login/")
    j.problems.clear()
    j.page.evaluate(
        """() => { document.body.insertAdjacentHTML('beforeend',
             '<p>巡查达标</p><p translate="no">五道口街道</p>'); }"""
    )
    j.check_language()
    assert any("巡查达标" in p for p in j.problems)
    assert not any("五道口街道" in p for p in j.problems)
