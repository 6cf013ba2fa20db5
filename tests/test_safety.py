"""Content is data: plain texts are escaped, Markdown's HTML is cleaned to an allowlist, and
every page's Content-Security-Policy allows only the inline scripts the site wrote itself."""

from __future__ import annotations

import base64
import hashlib

import pytest

from generator.safety import (
    allow_script,
    markdown_text,
    own_html_front_matter,
    policy,
    sanitise,
    url_part,
    with_policy,
)


def sha(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


@pytest.mark.parametrize(
    ("html", "clean"),
    [
        ("<p>a<script>alert(1)</script>b</p>", "<p>ab</p>"),
        ("<p onclick=\"steal()\" onmouseover='x'>a</p>", "<p>a</p>"),
        ('<a href="javascript:alert(1)">l</a>', "<a>l</a>"),
        ('<a href="data:text/html,x">l</a>', "<a>l</a>"),
        ('<a href="https://lovdata.no/">l</a>', '<a href="https://lovdata.no/">l</a>'),
        ('<a href="mailto:hr@kommune.no">l</a>', '<a href="mailto:hr@kommune.no">l</a>'),
        ('<img src="https://evil.example/x.png" alt="x">', '<img alt="x">'),
        ('<img src="//evil.example/x.png">', "<img>"),
        ('<img src="/etc/passwd">', "<img>"),
        ('<img src="bilde.png">', '<img src="bilde.png">'),
        ("<iframe src=x>inside</iframe><object>o</object>", ""),
        ("<style>body{display:none}</style>", ""),
        ("<svg><script>alert(1)</script></svg>", ""),
        ('<form action="https://evil.example"><input name="x"></form>', ""),
        ('<div id="__config">x</div><h2 id="ps-form">y</h2>', "<div>x</div><h2>y</h2>"),
        ('<q cite="javascript:x">q</q>', "<q>q</q>"),
        ("<p>a<!-- a comment -->b</p>", "<p>ab</p>"),
        (
            '<table><tr><td colspan="2" style="x">c</td></tr></table>',
            '<table><tbody><tr><td colspan="2">c</td></tr></tbody></table>',
        ),
        (
            '<div data-ps-dated="2022-06" hidden>d</div>',
            '<div data-ps-dated="2022-06" hidden="">d</div>',
        ),
    ],
)
def test_cleaning_keeps_text_and_structure_and_drops_what_could_run(html: str, clean: str) -> None:
    assert sanitise(html) == clean


def test_plain_texts_cannot_start_markup_or_a_block_of_their_own() -> None:
    text = markdown_text('# Tittel <b onclick="x">[lenke](javascript:x)</b>\n\n- punkt & _mer_')
    assert "<" not in text and ">" not in text and "\n" not in text
    assert text.startswith("&#35; Tittel &#60;b onclick=&#34;x&#34;&#62;&#91;lenke&#93;&#40;")
    assert "&#38;" in text and "&#95;mer&#95;" in text
    assert markdown_text("Æøå – «sitat»") == "Æøå – «sitat»"  # plain letters stay as they are


def test_addresses_cannot_end_their_attribute_or_link() -> None:
    assert url_part('x" onmouseover="y') == "x%22%20onmouseover=%22y"
    assert url_part("a)b<c>") == "a%29b%3Cc%3E"
    assert url_part("https://lovdata.no/lov?x=1#s") == "https://lovdata.no/lov?x=1#s"


def test_the_policy_allows_own_inline_scripts_by_hash_and_nothing_else() -> None:
    own = '<script>var a=1</script><script src="x.js"></script><style>p{}</style><script>var a=1</script>'
    text = policy(own)
    assert f"script-src 'self' {sha('var a=1')};" in text  # listed once, the src one not at all
    assert f"style-src 'self' {sha('p{}')};" in text
    assert "'unsafe-inline'" not in text and "*" not in text
    assert "object-src 'none'" in text and "default-src 'self'" in text


def test_a_whole_page_gets_its_policy_first_in_head_and_only_once() -> None:
    page = "<html><head><title>t</title><script>go()</script></head><body></body></html>"
    protected = with_policy(page)
    assert protected.startswith('<html><head><meta http-equiv="Content-Security-Policy" content="')
    assert sha("go()") in protected
    assert with_policy(protected) == protected
    assert with_policy("<p>no head</p>") == "<p>no head</p>"


def test_the_preview_script_is_added_to_the_policy_alone() -> None:
    page = with_policy("<html><head><script>go()</script></head></html>")
    allowed = allow_script(page, "reload()")
    assert sha("reload()") in allowed and sha("go()") in allowed
    assert allowed.replace(f" {sha('reload()')}", "") == page


def test_own_html_travels_in_front_matter_that_yaml_reads_back() -> None:
    import yaml

    for html in [
        '<form id="ps-form">\n<input name="a" value="«x»: \'y\'"></form>',
        # What YAML may not carry raw, or reads as a line break, and what ends front matter.
        "a\x85b\u2028c\u2029d\x7f\x9f\ufeff \\ \t 😀 \n---\n...",
    ]:
        front = own_html_front_matter(html)
        assert front.startswith("---\n") and front.endswith("---\n\n")
        assert front.count("\n") == 4  # the value on one line, whatever it holds
        assert yaml.safe_load(front.split("---\n")[1]) == {"policy_site_own_html": html}
