"""Tests for parsers.html: HTML mail bodies as readable text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parsers.html import html_to_text

# (html, expected text)
CASES = [
    ("", ""),
    ("plain text only", "plain text only"),
    ("<p>a</p><p>b</p>", "a\nb"),
    ("<div>a</div><div>b</div>", "a\nb"),
    ("<div>a<div>b</div>c</div>", "a\nb\nc"),
    ("a<br>b<br/>c<BR>d", "a\nb\nc\nd"),
    ("a<br><br>b", "a\n\nb"),
    ("a<br><br><br><br><br>b", "a\n\nb"),
    ("<p>1</p><p>&nbsp;</p><p>&nbsp;</p><p>&nbsp;</p><p>2</p>", "1\n\n2"),
    ("<ul><li>one</li><li>two</li></ul>", "one\ntwo"),
    ("<h1>T</h1>text", "T\ntext"),
    ("a<hr>b", "a\nb"),
    ("x&amp;y &lt;z&gt;", "x&y <z>"),
    (
        "&#1047;&#1076;&#1088;&#1072;&#1074;&#1089;&#1090;&#1074;&#1091;&#1081;&#1090;&#1077;!",
        "Здравствуйте!",
    ),
    ("&#x41F;&#x43E;", "По"),
    ("м.&nbsp;Павлоград,&nbsp;буд.&nbsp;120", "м. Павлоград, буд. 120"),
    ("&laquo;Днепр&raquo; &mdash; 5", "«Днепр» — 5"),
    ("&bogus; &amp", "&bogus; &"),
    ("<table><tr><td>a</td><td>b</td></tr><tr><th>c</th><td>d</td></tr></table>", "a | b\nc | d"),
    ("<table><tr><td>Показники</td><td><b>23607</b></td></tr></table>", "Показники | 23607"),
    ("<td>x</td><td>y</td>", "x | y"),
    ("<style>p{color:red}</style>text", "text"),
    ("<script>alert(1)</script>text", "text"),
    ("<html><head><meta charset=x><title>T</title><style>a{}</style></head><body>Hi</body></html>", "Hi"),
    ("<head><title>T</title><body>hi", "hi"),
    ("<html><head><meta x>Hello", "Hello"),
    ("<!-- comment -->a", "a"),
    (
        "a<!--[if gte mso 9]><xml><o:OfficeDocumentSettings></o:OfficeDocumentSettings></xml><![endif]-->b",
        "ab",
    ),
    ("<P CLASS=MsoNormal>Upper<o:p></o:p></P>", "Upper"),
    (
        "<p class=MsoNormal>Добрый день!<o:p></o:p></p><p class=MsoNormal><o:p>&nbsp;</o:p></p>"
        "<p class=MsoNormal>Показания: 25684<o:p></o:p></p>",
        "Добрый день!\n\nПоказания: 25684",
    ),
    ("<![if !supportLists]>·<![endif]>item", "·item"),
    ("<![CDATA[x]]>y", "y"),
    ("<a href='mailto:x@y.ua'>x@y.ua</a> text", "x@y.ua text"),
    ("<span>a</span><span>b</span>", "ab"),
    ("<span>a</span> <span>b</span>", "a b"),
    ("a\n   b\t\tc", "a b c"),
    ("<p>  spaced   out  </p>", "spaced out"),
    ("<pre>a\nb</pre>c", "a\nb\nc"),
    ("<blockquote>q</blockquote>after", "> q\nafter"),
    ("before<blockquote>q1<br>q2</blockquote>after", "before\n> q1\n> q2\nafter"),
    ("<blockquote>q1<blockquote>qq</blockquote>q3</blockquote>", "> q1\n> > qq\n> q3"),
    ("<blockquote>a<br><br>b</blockquote>", "> a\n>\n> b"),
    ("<div>unclosed <b>bold", "unclosed bold"),
    ("<<<>>>", "<<<>>>"),
    ("<div", "<div"),
    ("</p></div></blockquote>text", "text"),
    ("<script>never closed", ""),
    ("<p>a</p><p></p><p></p><p>b</p>", "a\nb"),
]


@pytest.mark.parametrize(("html", "expected"), CASES)
def test_html_to_text_renders_readable_lines(html: str, expected: str) -> None:
    """Blocks become lines, cells are joined, entities decoded, invisible parts dropped."""
    assert html_to_text(html) == expected


def test_word_html_mail_keeps_every_visible_line() -> None:
    """A Word/Outlook HTML body with MsoNormal paragraphs keeps its lines and blank separators."""
    html = (
        '<html xmlns:o="urn:schemas-microsoft-com:office:office">'
        '<head><meta name=Generator content="Microsoft Word">'
        "<style><!--\np.MsoNormal{margin:0cm;}\n--></style></head><body lang=RU><div class=WordSection1>"
        "<p class=MsoNormal>Показания на 01.02.2017: день 19186, ночь 6211.<o:p></o:p></p>"
        "<p class=MsoNormal><o:p>&nbsp;</o:p></p>"
        "<p class=MsoNormal>-----Original Message-----<o:p></o:p></p>"
        "<p class=MsoNormal>To: Сергей &lt;s@ukr.net&gt;<o:p></o:p></p></div></body></html>"
    )
    assert html_to_text(html) == (
        "Показания на 01.02.2017: день 19186, ночь 6211.\n\n"
        "-----Original Message-----\nTo: Сергей <s@ukr.net>"
    )


HTML_PIECES = st.sampled_from([
    "<p>", "</p>", "<div>", "</div>", "<br>", "<blockquote>", "</blockquote>", "<td>", "</td>", "<tr>",
    "<table>", "<style>", "</style>", "<script>", "<!--", "-->", "<![if x]>", "&nbsp;", "&#1047;", "&#0;",
    "&#xFFFFFFFF;", "&amp", "<", ">", "текст", "12345", "\n", " ", "<pre>", "</pre>", "<head>", "<body>",
])  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(HTML_PIECES, st.text(max_size=10)), max_size=40).map("".join))
def test_broken_html_never_raises(html: str) -> None:
    """Any mix of tags, entities and text gives a string without blank-line runs."""
    text = html_to_text(html)
    assert isinstance(text, str)
    assert "\n\n\n" not in text


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_never_raises(html: str) -> None:
    """Arbitrary input, including control characters, never makes html_to_text raise."""
    assert isinstance(html_to_text(html), str)
