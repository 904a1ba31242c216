"""The portal's words: one glossary shared with the CLI, one dictionary per language, and every
key the page's code asks for present in both (no browser needed)."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "src" / "tierchain" / "service" / "web"
GLOSSARY = ROOT / "src" / "tierchain" / "core" / "glossary.json"
REQUIRED = {
    "piece": "凭证", "payable": "应付账款", "split": "拆分", "transfer": "转让", "accept": "签收",
    "financing": "融资", "offer": "报价", "claim": "兑付", "trace": "溯源", "core_enterprise": "核心企业",
}  # fmt: skip


def load(lang: str) -> dict[str, str]:
    return dict(json.loads((WEB / "i18n" / f"{lang}.json").read_text(encoding="utf-8")))


def test_glossary_has_the_shared_terms_in_both_languages() -> None:
    terms = json.loads(GLOSSARY.read_text(encoding="utf-8"))["terms"]
    for key, zh in REQUIRED.items():
        assert terms[key]["zh-CN"] == zh
        assert terms[key]["en"]
    assert all(set(entry) == {"zh-CN", "en"} for entry in terms.values())


def test_both_dictionaries_have_the_same_keys_and_placeholders() -> None:
    zh, en = load("zh-CN"), load("en")
    assert sorted(zh) == sorted(en)
    for key in zh:
        params = lambda text: sorted(set(re.findall(r"\{([a-zA-Z_0-9]+)\}", text)))  # noqa: E731
        assert params(zh[key]) == params(en[key]), key


def test_every_glossary_reference_exists() -> None:
    terms = json.loads(GLOSSARY.read_text(encoding="utf-8"))["terms"]
    for lang in ("zh-CN", "en"):
        for key, text in load(lang).items():
            for name in re.findall(r"\{g\.([a-zA-Z_0-9]+)\}", text):
                assert name in terms, f"{lang} {key}: unknown glossary term {name}"


def test_every_key_the_code_uses_is_in_the_dictionaries() -> None:
    zh = load("zh-CN")
    code = "\n".join(p.read_text(encoding="utf-8") for p in (WEB / "js").glob("*.js"))
    code += (WEB / "index.html").read_text(encoding="utf-8")
    used = set(re.findall(r"""\bt\(\s*"([a-z_]+\.[a-zA-Z_.-]+)"|data-i18n="([a-z_.]+)\"""", code))
    keys = {a or b for a, b in used}
    keys |= {m for m in re.findall(r'"((?:err|api)\.[a-zA-Z_]+)"', code)}
    missing = sorted(k for k in keys if k not in zh)
    assert missing == [], missing
    # keys built at run time: the screens, request steps, summary rows, contracts
    for prefix, names in {
        "nav": ["pending", "holdings", "transfer", "finance", "claims", "history", "piece"],
        "req": ["drafted", "signed", "queued", "sent", "confirmed", "failed"],
        "contract": ["membership", "registry", "token", "relay", "desk", "settlement", "currency"],
        "field": ["signer", "payableId", "fromTokenId", "toTokenId", "tokenId", "to", "value", "nonce", "deadline",
                  "target", "data", "financier", "seller", "pricing", "price", "rateBps", "recourse"],
    }.items():  # fmt: skip
        for name in names:
            assert f"{prefix}.{name}" in zh, f"{prefix}.{name}"
