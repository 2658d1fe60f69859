"""The example bots, driven offline through their real libraries.

Each test builds a real incoming update or event, runs the bot's own handler, and captures what
the bot sends through the library's transport: a ``BaseRequest`` for python-telegram-bot, and
a Web API stand-in on the loopback interface for slack_bolt. Skipped when the optional bot
libraries are not installed.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qs, urlencode

import pytest

from coachbot import Coach, Reply
from coachbot.formatting import to_html, to_slack_mrkdwn
from coachbot.store import MemoryStore, Responder

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
NORDIC = "how do i do a nordic curl"


def load_example(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class LongResponder(Responder):
    """Answers everything with one very long reply, to see the bot split it."""

    def reply(self, chat_id: str | int, text: str) -> Reply:
        steps = "\n".join(f"{n}. Hold the position and breathe steadily." for n in range(1, 301))
        return Reply(f"A long answer:\n{steps}", suggestions=("What next?",))


def test_examples_open_with_a_docstring_saying_how_to_run_them() -> None:
    for path in sorted(EXAMPLES.glob("*.py")):
        source = path.read_text(encoding="utf-8")
        assert source.startswith('"""'), path.name
        assert "Run it:" in source.split('"""')[1], path.name


# -- Telegram -------------------------------------------------------------------------------
TOKEN = "123456:TEST-TOKEN"
BOT_USER = {"id": 123456, "is_bot": True, "first_name": "Coach", "username": "coach_bot"}


@pytest.fixture
def telegram_bot() -> ModuleType:
    pytest.importorskip("telegram")
    return load_example("telegram_bot")


def recording_request() -> Any:
    """Telegram's transport replaced: records each Bot API call and answers it successfully."""
    from telegram.request import BaseRequest, RequestData

    class RecordingRequest(BaseRequest):
        def __init__(self) -> None:
            self.calls: list[tuple[str, dict[str, Any]]] = []

        @property
        def read_timeout(self) -> float | None:
            return None

        async def initialize(self) -> None:
            pass

        async def shutdown(self) -> None:
            pass

        async def do_request(
            self,
            url: str,
            method: str,
            request_data: RequestData | None = None,
            read_timeout: Any = None,
            write_timeout: Any = None,
            connect_timeout: Any = None,
            pool_timeout: Any = None,
        ) -> tuple[int, bytes]:
            endpoint = url.rsplit("/", 1)[-1]
            parameters = request_data.parameters if request_data else {}
            self.calls.append((endpoint, parameters))
            result: Any = True
            if endpoint == "getMe":
                result = BOT_USER
            elif endpoint == "sendMessage":
                result = {
                    "message_id": len(self.calls),
                    "date": 0,
                    "chat": {"id": parameters["chat_id"], "type": "private"},
                    "from": BOT_USER,
                    "text": parameters["text"],
                }
            return 200, json.dumps({"ok": True, "result": result}).encode()

        def sent(self) -> list[dict[str, Any]]:
            return [parameters for endpoint, parameters in self.calls if endpoint == "sendMessage"]

    return RecordingRequest()


def telegram_update(number: int, text: str, chat: int = 42) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": number,
        "date": 0,
        "chat": {"id": chat, "type": "private", "first_name": "Ann"},
        "from": {"id": chat, "is_bot": False, "first_name": "Ann"},
        "text": text,
    }
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
    return {"update_id": number, "message": message}


def run_telegram(bot: ModuleType, responder: Responder, *texts: str) -> list[dict[str, Any]]:
    """Feed ``texts`` to the Telegram bot as one user's messages; the sendMessage calls."""
    from telegram import Update

    request = recording_request()

    async def feed() -> None:
        application = bot.build_application(
            TOKEN, responder, request=request, updates_request=recording_request()
        )
        async with application:
            for number, text in enumerate(texts, start=1):
                update = Update.de_json(telegram_update(number, text), application.bot)
                await application.process_update(update)

    asyncio.run(feed())
    sent: list[dict[str, Any]] = request.sent()
    return sent


def keyboard_rows(sent: dict[str, Any]) -> list[list[str]]:
    return [[button["text"] for button in row] for row in sent["reply_markup"]["keyboard"]]


def test_telegram_bot_replies_with_the_answer_as_html(
    telegram_bot: ModuleType, coach: Coach
) -> None:
    (sent,) = run_telegram(telegram_bot, Responder(coach), NORDIC)
    assert sent["chat_id"] == 42
    assert sent["parse_mode"] == "HTML"
    assert sent["text"] == to_html(coach.ask(NORDIC).text)
    assert sent["text"].startswith("<b>Nordic hamstring curl, step by step:</b>\n1. ")


def test_telegram_bot_offers_suggestions_as_a_reply_keyboard(
    telegram_bot: ModuleType, coach: Coach
) -> None:
    (sent,) = run_telegram(telegram_bot, Responder(coach), NORDIC)
    suggestions = coach.ask(NORDIC).suggestions
    assert suggestions
    assert keyboard_rows(sent) == [[suggestion] for suggestion in suggestions]


def test_telegram_bot_follows_the_conversation(telegram_bot: ModuleType, coach: Coach) -> None:
    store = MemoryStore()
    _, second = run_telegram(telegram_bot, Responder(coach, store), NORDIC, "how many reps?")
    session = coach.session()
    session.ask(NORDIC)
    assert second["text"] == to_html(session.ask("how many reps?").text)
    assert "Nordic hamstring curl" in second["text"]
    assert store.get("42") == session.to_dict()


def test_telegram_bot_start_command_begins_a_new_conversation(
    telegram_bot: ModuleType, coach: Coach
) -> None:
    store = MemoryStore()
    _, welcome = run_telegram(telegram_bot, Responder(coach, store), NORDIC, "/start")
    assert welcome["text"] == to_html(coach.ask("help").text)
    stored = store.get("42")
    assert stored is not None and stored["exercise"] is None


def test_telegram_bot_splits_a_long_answer_under_4096_characters(
    telegram_bot: ModuleType, coach: Coach
) -> None:
    sent = run_telegram(telegram_bot, LongResponder(coach), "anything")
    assert len(sent) > 1
    assert all(len(message["text"]) <= 4096 for message in sent)
    assert sent[0]["text"].startswith("<b>A long answer:</b>\n1. Hold")
    assert "".join(m["text"] for m in sent).count("Hold the position") == 300
    assert [("reply_markup" in m) for m in sent] == [False] * (len(sent) - 1) + [True]


def test_telegram_bot_without_a_token_exits_with_a_message(
    telegram_bot: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("TELEGRAM_TOKEN", raising=False)
    assert telegram_bot.main([]) == 2
    assert "TELEGRAM_TOKEN" in capsys.readouterr().err


# -- Slack ----------------------------------------------------------------------------------
SIGNING_SECRET = "test-signing-secret"
BOT = {"user_id": "UBOT", "bot_id": "BBOT", "team_id": "T1", "user": "coach", "team": "Gym"}


@dataclass
class SlackApi:
    """A stand-in for Slack's Web API on the loopback interface; records each call."""

    server: ThreadingHTTPServer
    calls: list[tuple[str, dict[str, Any]]]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/api/"

    def posted(self) -> list[dict[str, Any]]:
        return [body for method, body in self.calls if method == "chat.postMessage"]


@pytest.fixture
def slack_bot() -> ModuleType:
    pytest.importorskip("slack_bolt")
    return load_example("slack_bot")


@pytest.fixture
def slack_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[SlackApi]:
    pytest.importorskip("slack_bolt")
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.setenv(name, "")  # the SDK reads an empty value as "no proxy"
    calls: list[tuple[str, dict[str, Any]]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (the name http.server calls)
            method = self.path.rsplit("/", 1)[-1]
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
            if self.headers.get("Content-Type", "").startswith("application/json"):
                body = json.loads(raw or "{}")
            else:
                body = {key: values[0] for key, values in parse_qs(raw).items()}
            calls.append((method, body))
            result: dict[str, Any] = {"ok": True}
            if method == "auth.test":
                result.update(BOT)
            elif method == "chat.postMessage":
                result.update(channel=body.get("channel"), ts=f"{len(calls)}.0")
            payload = json.dumps(result).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield SlackApi(server, calls)
    server.shutdown()
    server.server_close()


def signed(body: str, content_type: str) -> Any:
    """An incoming ``BoltRequest`` signed the way Slack signs it."""
    from slack_bolt.request import BoltRequest
    from slack_sdk.signature import SignatureVerifier

    timestamp = str(int(time.time()))
    signature = SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=timestamp, body=body)
    assert signature is not None
    headers: dict[str, str | Sequence[str]] = {
        "content-type": [content_type],
        "x-slack-request-timestamp": [timestamp],
        "x-slack-signature": [signature],
    }
    return BoltRequest(body=body, headers=headers)


def message_event(text: str, number: int = 1, **extra: Any) -> Any:
    event = {
        "type": "message",
        "channel": "D1",
        "channel_type": "im",
        "user": "U1",
        "text": text,
        "ts": f"{number}.0",
        **extra,
    }
    body = {
        "type": "event_callback",
        "team_id": "T1",
        "api_app_id": "A1",
        "event_id": f"Ev{number}",
        "event_time": number,
        "event": event,
    }
    return signed(json.dumps(body), "application/json")


def button_click(value: str) -> Any:
    payload = {
        "type": "block_actions",
        "team": {"id": "T1", "domain": "gym"},
        "user": {"id": "U1", "name": "ann", "team_id": "T1"},
        "api_app_id": "A1",
        "trigger_id": "1.2.3",
        "container": {"type": "message", "message_ts": "1.0", "channel_id": "D1"},
        "channel": {"id": "D1", "name": "directmessage"},
        "actions": [
            {
                "type": "button",
                "action_id": "suggestion-0",
                "block_id": "b1",
                "text": {"type": "plain_text", "text": value},
                "value": value,
                "action_ts": "2.0",
            }
        ],
    }
    return signed(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")


def slack_app(responder: Responder, api: SlackApi) -> Any:
    from slack_sdk import WebClient

    bot = load_example("slack_bot")
    client = WebClient(token="xoxb-test", base_url=api.base_url)
    # Listeners run before the acknowledgement returns, so dispatch() returns after the post.
    return bot.build_app(
        responder,
        token="xoxb-test",
        signing_secret=SIGNING_SECRET,
        client=client,
        process_before_response=True,
    )


def section_texts(posted: dict[str, Any]) -> list[str]:
    return [b["text"]["text"] for b in posted["blocks"] if b["type"] == "section"]


def button_values(posted: dict[str, Any]) -> list[str]:
    return [e["value"] for b in posted["blocks"] if b["type"] == "actions" for e in b["elements"]]


def test_slack_bot_replies_with_the_answer_as_mrkdwn(coach: Coach, slack_api: SlackApi) -> None:
    app = slack_app(Responder(coach), slack_api)
    assert app.dispatch(message_event(NORDIC)).status == 200
    (posted,) = slack_api.posted()
    assert posted["channel"] == "D1"
    assert section_texts(posted) == [to_slack_mrkdwn(coach.ask(NORDIC).text)]
    assert posted["text"].startswith("*Nordic hamstring curl, step by step:*\n1. ")


def test_slack_bot_offers_suggestions_as_buttons(coach: Coach, slack_api: SlackApi) -> None:
    app = slack_app(Responder(coach), slack_api)
    app.dispatch(message_event(NORDIC))
    (posted,) = slack_api.posted()
    assert button_values(posted) == list(coach.ask(NORDIC).suggestions)


def test_slack_bot_asks_the_suggestion_a_button_carries(coach: Coach, slack_api: SlackApi) -> None:
    app = slack_app(Responder(coach), slack_api)
    app.dispatch(message_event(NORDIC))
    suggestion = button_values(slack_api.posted()[0])[1]
    assert app.dispatch(button_click(suggestion)).status == 200
    session = coach.session()
    session.ask(NORDIC)
    assert section_texts(slack_api.posted()[1]) == [to_slack_mrkdwn(session.ask(suggestion).text)]


def test_slack_bot_follows_the_conversation(coach: Coach, slack_api: SlackApi) -> None:
    app = slack_app(Responder(coach), slack_api)
    app.dispatch(message_event(NORDIC, 1))
    app.dispatch(message_event("how many reps?", 2))
    session = coach.session()
    session.ask(NORDIC)
    expected = session.ask("how many reps?")
    assert expected.exercise == "nordic-hamstring-curl"
    assert section_texts(slack_api.posted()[1]) == [to_slack_mrkdwn(expected.text)]


def test_slack_bot_ignores_bot_messages_and_edits(coach: Coach, slack_api: SlackApi) -> None:
    app = slack_app(Responder(coach), slack_api)
    app.dispatch(message_event(NORDIC, 1, bot_id="B2"))
    app.dispatch(message_event(NORDIC, 2, subtype="message_changed"))
    assert slack_api.posted() == []


def test_slack_bot_rejects_an_unsigned_request(coach: Coach, slack_api: SlackApi) -> None:
    app = slack_app(Responder(coach), slack_api)
    request = message_event(NORDIC)
    request.headers["x-slack-signature"] = ["v0=forged"]
    assert app.dispatch(request).status == 401
    assert slack_api.posted() == []


def test_slack_bot_splits_a_long_answer_into_sections(coach: Coach, slack_api: SlackApi) -> None:
    app = slack_app(LongResponder(coach), slack_api)
    app.dispatch(message_event("anything"))
    posted = slack_api.posted()
    assert len(posted) > 1
    assert all(len(text) <= 3000 for p in posted for text in section_texts(p))
    assert "".join(p["text"] for p in posted).count("Hold the position") == 300
    assert [button_values(p) for p in posted][-1] == ["What next?"]
    assert all(button_values(p) == [] for p in posted[:-1])


def test_slack_bot_without_tokens_exits_with_a_message(
    slack_bot: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"):
        monkeypatch.delenv(name, raising=False)
    assert slack_bot.main([]) == 2
    assert "SLACK_BOT_TOKEN" in capsys.readouterr().err
