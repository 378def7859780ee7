"""Hypothesis strategies for malformed requests."""

import json

from hypothesis import strategies as st

# Text a browser or a script could send: any character but lone surrogates (which cannot be
# encoded at all), with NULs and controls included.
any_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=300)
# A WSGI environ holds bytes as latin-1 text, so these stand for any bytes (non-UTF-8 too).
byte_text = st.text(st.characters(min_codepoint=0, max_codepoint=255), max_size=300)
huge = st.sampled_from(["x" * 70_000, "%" * 10_000, "\x00" * 5_000, "é" * 20_000])
header_value = st.one_of(byte_text, huge)

FIELD_NAMES = [
    "email",
    "newsletters",
    "source",
    "website",
    "consent",
    "frequency",
    "amount",
    "custom_amount",
    "cover_fee",
    "currency",
    "language",
    "article",
    "outcome",
    "name",
    "action",
    "gift",
    "q",
    "page",
    "csrfmiddlewaretoken",
]
form_value = st.one_of(
    any_text,
    st.sampled_from(["", "0", "-1", "1e309", "NaN", "9" * 40, "once", "monthly", "weekly"]),
    st.sampled_from(["a@b.c", "reader@example.net", "x" * 300 + "@example.net"]),
    huge,
)
form = st.dictionaries(
    st.one_of(st.sampled_from(FIELD_NAMES), any_text.filter(bool)),
    st.one_of(form_value, st.lists(form_value, max_size=4)),
    max_size=8,
)
content_type = st.sampled_from(
    [
        "application/x-www-form-urlencoded",
        "application/x-www-form-urlencoded; charset=bogus",
        "application/x-www-form-urlencoded; charset=utf-16",
        "multipart/form-data",
        "multipart/form-data; boundary=",
        "multipart/form-data; boundary=xyz",
        "application/json",
        "text/plain; charset=utf-8",
        "application/octet-stream",
        "",
        "\x00",
    ]
)
body = st.one_of(st.binary(max_size=2000), any_text.map(lambda text: text.encode()))
query_string = st.one_of(
    byte_text,
    st.dictionaries(st.sampled_from(["q", "page", "period", "next", "token"]), any_text).map(
        # As a WSGI server hands it over: the raw (UTF-8) bytes, as latin-1 text.
        lambda items: "&".join(f"{k}={v}" for k, v in items.items()).encode().decode("latin-1")
    ),
    huge,
)
token = st.one_of(
    st.text(st.characters(codec="ascii", exclude_characters="/?#%"), min_size=1, max_size=120),
    st.sampled_from(["0", "a" * 500, "..", "eyJ", "1.2.3", ":::", "%00"]),
)

# Provider events: JSON objects with the keys Postmark, SNS and Stripe use, odd values.
EVENT_KEYS = ["RecordType", "Type", "TypeCode", "MessageID", "MessageId", "Email", "Recipient"]
EVENT_KEYS += ["BouncedAt", "ReceivedAt", "Details", "Description", "Message", "ID", "Tag"]
EVENT_KEYS += ["Metadata", "MessageStream", "SignatureVersion", "id", "type", "data", "object"]
json_value = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), any_text),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(any_text, inner, max_size=3)
    ),
    max_leaves=6,
)
event = st.dictionaries(st.sampled_from(EVENT_KEYS), json_value, max_size=8).map(
    lambda data: json.dumps(data).encode()
)
