"""The /stats chart is drawn once per spec and kept (bot/documents/rates_chart.py `kept_rates_chart`): asking
again gives the same bytes without drawing, and any change to what is drawn (a number, a label, the language)
draws anew."""

from __future__ import annotations

from dataclasses import replace

from bot.documents.rates_chart import kept_rates_chart, render_rates_chart
from handlers.conversations.stats_text import RatesChart

SPEC = RatesChart(
    title="嘉莲街道办事处2026年11月各小区三率",
    rates=("响应率", "按时办结率", "满意率"),
    rows=(
        ("海滨花园", ((7, 9, True), (6, 8, True), (5, 6, True))),
        ("上都嘉园", ((1, 2, False), (0, 0, False), (1, 1, False))),
    ),
    not_ranked="样本数少于 5，不参与排名",
    min_sample=5,
)


def test_the_same_chart_asked_again_is_not_drawn_again_and_is_the_same_picture() -> None:
    kept_rates_chart.cache_clear()
    first = kept_rates_chart(SPEC)
    again = kept_rates_chart(replace(SPEC))  # an equal spec, built anew as the next /stats builds it
    info = kept_rates_chart.cache_info()
    assert (info.misses, info.hits) == (1, 1)
    assert again == first == render_rates_chart(SPEC)  # what a new drawing gives


def test_a_chart_with_one_number_changed_is_drawn_anew() -> None:
    kept_rates_chart.cache_clear()
    first = kept_rates_chart(SPEC)
    (name, rates), other = SPEC.rows
    moved = replace(SPEC, rows=((name, ((8, 9, True), *rates[1:])), other))  # one more in time
    assert kept_rates_chart(moved) != first
    english = replace(SPEC, title="Jialian Street Office, November 2026: the three rates by estate")
    assert kept_rates_chart(english) != first
    assert kept_rates_chart.cache_info().misses == 3
