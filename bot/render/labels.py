"""The digest's fixed words in the digest language (not the interface language: a digest is a
document in the reader's language, headings included, like the `# 摘要` / `# 详细` samples)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.i18n import t


@dataclass(frozen=True)
class Labels:
    """Every fixed word a rendered digest uses."""

    summary_heading: str
    details_heading: str
    digest_title: str  # "{date}", "{count}"
    more: str  # "{count}"
    no_papers: str
    authors: str
    categories: str
    why: str
    summary: str
    abstract: str
    original_abstract: str
    translation_unavailable: str
    cross_list: str
    new_version: str  # "{version}"
    keyword_in_title: str
    keyword_in_abstract: str
    category: str
    author: str
    links: str
    # The model's order (bot/rank_order.py); worded in bot/i18n.py, English and Chinese.
    exploring: str = t("digest_exploring", "en")
    below_threshold: str = t("digest_below_threshold", "en")  # "{count}"


_EN = Labels(
    summary_heading="Summary",
    details_heading="Details",
    digest_title="arXiv digest · {date} · {count} papers",
    more="… and {count} more: /digest more",
    no_papers="No new papers matched your subscriptions.",
    authors="Authors",
    categories="Categories",
    why="Why",
    summary="In one line",
    abstract="Abstract",
    original_abstract="Original abstract",
    translation_unavailable="(translation unavailable, original shown)",
    cross_list="cross-list",
    new_version="new version v{version}",
    keyword_in_title="“{value}” in title",
    keyword_in_abstract="“{value}” in abstract",
    category="category {value}",
    author="author {value}",
    links="Links",
)

_ZH = Labels(
    summary_heading="摘要",
    details_heading="详细",
    digest_title="arXiv 每日摘要 · {date} · {count} 篇",
    more="…… 还有 {count} 篇：/digest more",
    no_papers="今天没有与你的订阅匹配的新论文。",
    authors="作者",
    categories="分类",
    why="匹配原因",
    summary="一句话总结",
    abstract="摘要",
    original_abstract="原文摘要",
    translation_unavailable="（翻译暂不可用，显示原文）",
    cross_list="交叉列表",
    new_version="新版本 v{version}",
    keyword_in_title="标题含“{value}”",
    keyword_in_abstract="摘要含“{value}”",
    category="分类 {value}",
    author="作者 {value}",
    links="链接",
    exploring=t("digest_exploring", "zh"),
    below_threshold=t("digest_below_threshold", "zh"),
)

_ZH_TW = Labels(
    **{
        **_ZH.__dict__,
        "details_heading": "詳細",
        "digest_title": "arXiv 每日摘要 · {date} · {count} 篇",
        "more": "…… 還有 {count} 篇：/digest more",
        "no_papers": "今天沒有與你的訂閱相符的新論文。",
        "authors": "作者",
        "categories": "分類",
        "why": "匹配原因",
        "summary": "一句話總結",
        "original_abstract": "原文摘要",
        "translation_unavailable": "（翻譯暫不可用，顯示原文）",
        "cross_list": "交叉列表",
        "new_version": "新版本 v{version}",
        "keyword_in_title": "標題含「{value}」",
        "keyword_in_abstract": "摘要含「{value}」",
        "category": "分類 {value}",
        "links": "連結",
    }
)

_JA = Labels(
    **{
        **_EN.__dict__,
        "summary_heading": "要約",
        "details_heading": "詳細",
        "digest_title": "arXiv ダイジェスト · {date} · {count} 件",
        "no_papers": "購読に一致する新しい論文はありません。",
        "authors": "著者",
        "categories": "カテゴリ",
        "abstract": "概要",
        "original_abstract": "原文の概要",
        "translation_unavailable": "（翻訳できませんでした。原文を表示します）",
    }
)

_DE = Labels(
    **{
        **_EN.__dict__,
        "summary_heading": "Zusammenfassung",
        "details_heading": "Details",
        "digest_title": "arXiv-Digest · {date} · {count} Artikel",
        "no_papers": "Keine neuen Artikel passen zu Ihren Abonnements.",
        "authors": "Autoren",
        "categories": "Kategorien",
        "abstract": "Zusammenfassung",
        "original_abstract": "Original",
        "translation_unavailable": "(Übersetzung nicht verfügbar, Original gezeigt)",
    }
)

_FR = Labels(
    **{
        **_EN.__dict__,
        "summary_heading": "Résumé",
        "details_heading": "Détails",
        "digest_title": "Digest arXiv · {date} · {count} articles",
        "no_papers": "Aucun nouvel article ne correspond à vos abonnements.",
        "authors": "Auteurs",
        "categories": "Catégories",
        "abstract": "Résumé",
        "original_abstract": "Résumé original",
        "translation_unavailable": "(traduction indisponible, original affiché)",
    }
)

_ES = Labels(
    **{
        **_EN.__dict__,
        "summary_heading": "Resumen",
        "details_heading": "Detalles",
        "digest_title": "Resumen de arXiv · {date} · {count} artículos",
        "no_papers": "Ningún artículo nuevo coincide con tus suscripciones.",
        "authors": "Autores",
        "categories": "Categorías",
        "abstract": "Resumen",
        "original_abstract": "Resumen original",
        "translation_unavailable": "(traducción no disponible, se muestra el original)",
    }
)

_RU = Labels(
    **{
        **_EN.__dict__,
        "summary_heading": "Обзор",
        "details_heading": "Подробно",
        "digest_title": "Дайджест arXiv · {date} · статей: {count}",
        "no_papers": "Новых статей по вашим подпискам нет.",
        "authors": "Авторы",
        "categories": "Категории",
        "abstract": "Аннотация",
        "original_abstract": "Оригинал",
        "translation_unavailable": "(перевод недоступен, показан оригинал)",
    }
)

_KO = Labels(
    **{
        **_EN.__dict__,
        "summary_heading": "요약",
        "details_heading": "상세",
        "digest_title": "arXiv 다이제스트 · {date} · {count}편",
        "no_papers": "구독과 일치하는 새 논문이 없습니다.",
        "authors": "저자",
        "categories": "분류",
        "abstract": "초록",
        "original_abstract": "원문 초록",
        "translation_unavailable": "(번역할 수 없어 원문을 표시합니다)",
    }
)

_BY_LANGUAGE = {
    "en": _EN,
    "zh": _ZH,
    "ja": _JA,
    "de": _DE,
    "fr": _FR,
    "es": _ES,
    "ru": _RU,
    "ko": _KO,
}


def labels(language: str) -> Labels:
    """The labels for a digest language code (`zh-CN`, `zh-TW`, `de`…); English when unknown."""
    code = language.replace("_", "-").lower()
    if code in ("zh-tw", "zh-hk", "zh-hant", "zh-mo"):
        return _ZH_TW
    return _BY_LANGUAGE.get(code.split("-")[0], _EN)
