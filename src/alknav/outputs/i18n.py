"""Interface words in English and Chinese. Clinical content is bilingual in the knowledge files;
this holds only the wording of the program itself."""

from __future__ import annotations

_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "disclaimer": "alknav is decision support. It summarises cited evidence to support, not replace, the "
                      "judgement of the treating physician and the tumour board.",
        "call_fact": "{clone} with {drug}: {call} ({detail})",
        "sensitive": "sensitive", "intermediate": "intermediate", "resistant": "resistant", "unknown": "unknown",
        "no_data": "no curated data", "no_rationale": "Considered by default; no rule scored it.",
        "options": "Options", "warnings": "Warnings", "tests": "Suggested tests", "alterations": "Alterations",
        "rank": "rank", "option": "option", "category": "category", "evidence": "evidence", "why": "why",
        "availability": "availability", "efficacy": "expected efficacy", "recognized": "recognised",
        "not_recognized": "NOT recognised", "excluded": "Excluded", "trace": "Rules that fired",
        "interpretation": "Interpretation", "knowledge": "knowledge base", "case": "case",
        "unmapped": "Not used from the input file (no mapping to the case format): {items}",
    },
    "zh": {
        "disclaimer": "alknav 为临床决策支持工具，汇总有引文依据的证据，"
                      "用于辅助而非取代主治医师及多学科肿瘤委员会的临床判断。",
        "call_fact": "{clone} 对 {drug}：{call}（{detail}）",
        "sensitive": "敏感", "intermediate": "中度敏感", "resistant": "耐药", "unknown": "未知",
        "no_data": "无已整理的数据", "no_rationale": "默认纳入考虑；无规则为其加分。",
        "options": "治疗选项", "warnings": "警示", "tests": "建议检测", "alterations": "分子改变",
        "rank": "排序", "option": "方案", "category": "类别", "evidence": "证据", "why": "理由",
        "availability": "可及性", "efficacy": "预期疗效", "recognized": "已识别",
        "not_recognized": "未识别", "excluded": "已排除", "trace": "触发的规则",
        "interpretation": "解读", "knowledge": "知识库", "case": "病例",
        "unmapped": "输入文件中以下内容未被使用（无法映射到病例格式）：{items}",
    },
}


def t(lang: str, key: str, **values: str) -> str:
    table = _TEXT.get(lang, _TEXT["en"])
    text = table.get(key, _TEXT["en"].get(key, key))
    return text.format(**values) if values else text


def disclaimer(lang: str) -> str:
    return t(lang, "disclaimer")
