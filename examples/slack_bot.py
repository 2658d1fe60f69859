"""A Slack bot that answers with coachbot.

Shows how to embed coachbot in a Slack app built on slack_bolt: one ``Coach`` shared by every
conversation, a ``Responder`` keeping one conversation per user and channel, answers rendered
as Slack mrkdwn in section blocks (split under a section's 3000-character limit), and the
coach's follow-up questions as buttons: clicking one asks that question.

The app needs the ``chat:write`` scope and the ``message.im`` (and, for channels,
``message.channels``) events. Run it:

    pip install "coachbot[slack]"                  # or, in a checkout: pip install -e ".[slack]"
    export SLACK_BOT_TOKEN=xoxb-...
    export SLACK_APP_TOKEN=xapp-...                # Socket Mode: no public URL needed
    python examples/slack_bot.py [--db chats.db]

Without SLACK_APP_TOKEN it serves the Events API over HTTP on port 3000 instead, and then
needs SLACK_SIGNING_SECRET.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
from typing import Any

from slack_bolt import Ack, App, Say
from slack_sdk import WebClient

from coachbot import Coach, Reply
from coachbot.formatting import split_message, to_slack_mrkdwn
from coachbot.store import MemoryStore, Responder, SessionStore, SQLiteStore

log = logging.getLogger("coachbot.slack")

SECTION_LIMIT = 3000
"""Slack's limit on a section block's text."""
BUTTON_LABEL_LIMIT = 75
SUGGESTION_ACTION = re.compile(r"^suggestion-\d+$")


def chat_id(channel: str, user: str) -> str:
    """One conversation per user per channel: people in a channel don't share a context."""
    return f"{channel}:{user}"


def messages(reply: Reply) -> list[dict[str, Any]]:
    """The reply as ``chat.postMessage`` arguments (text and blocks), one dict per message."""
    chunks = split_message(
        reply.text, SECTION_LIMIT, size=lambda chunk: len(to_slack_mrkdwn(chunk))
    )
    out: list[dict[str, Any]] = []
    for chunk in chunks:
        mrkdwn = to_slack_mrkdwn(chunk)
        section = {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn}}
        out.append({"text": mrkdwn, "blocks": [section]})
    if out and reply.suggestions:
        # The buttons belong under the whole answer, so only the last message has them.
        out[-1]["blocks"].append({"type": "actions", "elements": buttons(reply.suggestions)})
    return out


def buttons(suggestions: tuple[str, ...]) -> list[dict[str, Any]]:
    return [
        {
            "type": "button",
            "action_id": f"suggestion-{number}",
            "text": {"type": "plain_text", "text": _label(suggestion)},
            "value": suggestion,
        }
        for number, suggestion in enumerate(suggestions)
    ]


def _label(text: str) -> str:
    if len(text) <= BUTTON_LABEL_LIMIT:
        return text
    return text[: BUTTON_LABEL_LIMIT - 1].rstrip() + "…"


def answer(responder: Responder, say: Say, channel: str, user: str, text: str) -> None:
    reply = responder.reply(chat_id(channel, user), text)
    for message in messages(reply):
        say(channel=channel, **message)


def build_app(
    responder: Responder,
    *,
    token: str,
    signing_secret: str | None = None,
    client: WebClient | None = None,
    **options: Any,
) -> App:
    """The Slack app; ``client`` and ``options`` go to ``slack_bolt.App`` (tests use them)."""
    app = App(token=token, signing_secret=signing_secret, client=client, **options)

    @app.event("message")
    def on_message(event: dict[str, Any], say: Say) -> None:
        # Edits, joins and other bots' posts arrive as message events too: answer people only.
        if event.get("subtype") or event.get("bot_id") or not event.get("text"):
            return
        answer(responder, say, event["channel"], event["user"], event["text"])

    @app.action(SUGGESTION_ACTION)
    def on_suggestion(ack: Ack, body: dict[str, Any], action: dict[str, Any], say: Say) -> None:
        ack()
        answer(responder, say, body["channel"]["id"], body["user"]["id"], action["value"])

    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the coachbot Slack app.")
    parser.add_argument("--db", help="SQLite file keeping conversations across restarts")
    parser.add_argument("--port", type=int, default=3000, help="HTTP port without Socket Mode")
    args = parser.parse_args(argv)
    token = os.environ.get("SLACK_BOT_TOKEN", "").strip()
    app_token = os.environ.get("SLACK_APP_TOKEN", "").strip()
    secret = os.environ.get("SLACK_SIGNING_SECRET", "").strip()
    if not token or not (app_token or secret):
        print(
            "error: set SLACK_BOT_TOKEN and either SLACK_APP_TOKEN (Socket Mode) "
            "or SLACK_SIGNING_SECRET (HTTP)",
            file=sys.stderr,
        )
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    store: SessionStore = MemoryStore()
    if args.db:
        store = SQLiteStore(args.db, idle_seconds=30 * 86_400)
    responder = Responder(Coach(), store)
    if app_token:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        # Socket Mode connects out to Slack, so the request-signing secret is not used.
        app = build_app(responder, token=token, request_verification_enabled=False)
        SocketModeHandler(app, app_token).start()  # type: ignore[no-untyped-call]
    else:
        build_app(responder, token=token, signing_secret=secret).start(port=args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
