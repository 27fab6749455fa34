"""The offline task list keeps opposite requests apart and drops encouragement."""

from __future__ import annotations

from typing import Any

from apps.assist.providers.local import task_list


def _note(note_id: int, text: str, frame: int, author: str = "Maya") -> dict[str, Any]:
    return {
        "id": note_id,
        "shot": "SQ010_0010",
        "version": "v002",
        "frame_in": frame,
        "frame_out": None,
        "author": author,
        "text": text,
    }


def test_opposite_requests_are_two_tasks() -> None:
    for first, second in (
        ("Warm the sky a little.", "Cool the sky a little."),
        ("Keep the logo on the truck.", "Remove the logo on the truck."),
        ("Brighten the face in the window.", "Darken the face in the window."),
        ("Remove the lens flare.", "Don't remove the lens flare."),
    ):
        tasks = task_list([_note(1, first, 1010), _note(2, second, 1012, "Jon")])["tasks"]
        assert len(tasks) == 2, (first, second, tasks)


def test_the_same_request_twice_is_still_one_task() -> None:
    tasks = task_list(
        [
            _note(1, "Remove the wire at the top left.", 1010),
            _note(2, "Please remove the wire in the top left corner.", 1012, "Jon"),
        ]
    )["tasks"]
    assert len(tasks) == 1


def test_encouragement_is_not_a_task() -> None:
    tasks = task_list([_note(1, "Keep going! Fix the flicker on the lamp.", 1010)])["tasks"]
    assert [t["task"] for t in tasks] == ["Fix the flicker on the lamp."]
