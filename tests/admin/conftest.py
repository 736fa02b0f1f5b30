"""Admin-panel helpers: the field errors and flash messages a page shows."""
import html
import re


def field_errors(page: str, field_id: str) -> list[str]:
    """The error messages shown under one form field (its `id`)."""
    start = page.index(f'id="{field_id}"')
    end = page.find('class="form-group', start)
    chunk = page[start:end if end != -1 else None]
    feedback = re.search(r'class="invalid-feedback">(.*?)</div>', chunk, re.S)
    if feedback is None:
        return []
    return [html.unescape(m.strip()) for m in re.findall(r"<li>(.*?)</li>", feedback.group(1), re.S)]


def flashes(page: str) -> list[str]:
    """The flash messages shown at the top of the page."""
    return [html.unescape(re.sub(r"<.*?>|&times;", "", m).strip())
            for m in re.findall(r'<div class="alert[^"]*">(.*?)</div>', page, re.S)]
