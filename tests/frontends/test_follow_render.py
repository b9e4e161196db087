"""Alerts, digests and follow replies as Telegram HTML: valid, escaped, and never over 4,096
characters whatever the reports hold."""

from __future__ import annotations

from fake_telegram import check_html, visible_text

from bot.follow import DigestStory, Follow, Report
from bot.telegram import follow_render as fr
from retrieval.types import StoryMatch

LONG = "Gencatan senjata <b>&</b> sandera " * 200


def report(n: int, story: str = "gencatan senjata Gaza", kind: str = "new") -> Report:
    return Report(n, 1, 1, story, "id", "v2", f"{n:03d}.txt", kind, LONG[:900], "Antara & co",
                  "2024-03-04", LONG, LONG, 0.9, 1.0)


def test_an_alert_fits_one_message_and_lists_the_rest_as_a_digest_away() -> None:
    html, buttons = fr.alert_html([report(n) for n in range(1, 21)], "en")
    assert check_html(html) is None
    shown = visible_text(html)
    assert "… and 12 more: /digest" in shown and "<b>&</b>" in shown  # escaped, shown as typed
    assert [label for label, _ in buttons] == [f"Source [{n}]" for n in range(1, 9)]


def test_an_alert_names_the_story_and_says_updated() -> None:
    html, _ = fr.alert_html([report(1, kind="updated"), report(2, story="Aleppo")], "id")
    shown = visible_text(html)
    assert "Berita: gencatan senjata Gaza" in shown and "Berita: Aleppo" in shown
    assert "diperbarui" in shown and "001.txt" in shown


def test_a_long_digest_is_cut_into_valid_messages() -> None:
    stories = [DigestStory(f"story {s}", tuple(report(s * 100 + n) for n in range(15)))
               for s in range(4)]
    parts = fr.digest_html(stories, "2026-12-07 07:00", "en")
    assert len(parts) > 1 and all(check_html(p) is None for p in parts)
    assert "Digest since 2026-12-07 07:00" in visible_text(parts[0])
    assert visible_text(fr.digest_html([], "x", "en")[0]).startswith("No new reports")


def test_following_and_followed_replies() -> None:
    follows = [Follow(1, 5, "a <story>", "en"), Follow(2, 5, "b", "en")]
    assert visible_text(fr.following_html(follows, "en")).splitlines()[1:] == [
        "1. a <story>", "2. b"]
    newest = StoryMatch("x.txt", LONG, None, None, LONG, LONG, 1.0)
    html = fr.followed_html("Following “b”.", newest, "en")
    assert check_html(html) is None and "x.txt" in visible_text(html)
