"""A Telegram bot that answers with coachbot.

Shows how to embed coachbot in a chat bot: one ``Coach`` shared by every chat, a
``Responder`` keeping each chat's conversation (so "how many reps?" follows on from the last
question), answers rendered as Telegram HTML and split under Telegram's 4096-character limit,
and the coach's follow-up questions offered as reply-keyboard buttons. /start and /reset
begin a new conversation.

Run it:

    pip install "coachbot[telegram]"               # or, in a checkout: pip install -e ".[telegram]"
    export TELEGRAM_TOKEN=123456:ABC-your-token    # from Telegram's @BotFather
    python examples/telegram_bot.py                # conversations kept in memory
    python examples/telegram_bot.py --db chats.db  # conversations survive restarts
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys

from telegram import ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.constants import MessageLimit, ParseMode
from telegram.ext import Application, CommandHandler, ContextTypes, MessageHandler, filters
from telegram.request import BaseRequest

from coachbot import Coach, Reply
from coachbot.formatting import split_message, to_html
from coachbot.store import MemoryStore, Responder, SessionStore, SQLiteStore

log = logging.getLogger("coachbot.telegram")

TEXT_LIMIT = int(MessageLimit.MAX_TEXT_LENGTH)  # 4096
WELCOME = "help"
"""What a new conversation asks the coach, so /start answers with what it can do."""


def render(reply: Reply) -> list[str]:
    """The reply as Telegram HTML messages, each under the size limit.

    Telegram counts the limit after removing the markup; measuring the HTML is on the safe side.
    """
    chunks = split_message(reply.text, TEXT_LIMIT, size=lambda chunk: len(to_html(chunk)))
    return [to_html(chunk) for chunk in chunks]


def keyboard(reply: Reply) -> ReplyKeyboardMarkup | ReplyKeyboardRemove:
    """The coach's suggestions as one button per row; none removes the last keyboard."""
    if not reply.suggestions:
        return ReplyKeyboardRemove()
    return ReplyKeyboardMarkup(
        [[suggestion] for suggestion in reply.suggestions],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


async def send(update: Update, reply: Reply) -> None:
    message = update.effective_message
    if message is None:
        return
    messages = render(reply)
    for number, html in enumerate(messages, start=1):
        # Only the last message carries the keyboard: it belongs under the whole answer.
        markup = keyboard(reply) if number == len(messages) else None
        await message.reply_text(html, parse_mode=ParseMode.HTML, reply_markup=markup)


async def on_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or not message.text:
        return
    responder: Responder = context.bot_data["responder"]
    # Updates are handled one at a time (the library's default), so a chat's messages are
    # answered in the order they were sent; an answer takes well under a millisecond. The
    # worker thread keeps the event loop free while the store reads and writes.
    reply = await asyncio.to_thread(responder.reply, str(message.chat_id), message.text)
    await send(update, reply)


async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    responder: Responder = context.bot_data["responder"]
    await asyncio.to_thread(responder.reset, str(chat.id))
    reply = await asyncio.to_thread(responder.reply, str(chat.id), WELCOME)
    await send(update, reply)


def build_application(
    token: str,
    responder: Responder,
    *,
    request: BaseRequest | None = None,
    updates_request: BaseRequest | None = None,
) -> Application:  # type: ignore[type-arg]
    """The bot, ready to run; ``request`` replaces the HTTP transport (tests use it)."""
    builder = Application.builder().token(token)
    if request is not None:
        builder = builder.request(request)
    if updates_request is not None:
        builder = builder.get_updates_request(updates_request)
    application = builder.build()
    application.bot_data["responder"] = responder
    application.add_handler(CommandHandler(["start", "reset"], on_start))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, on_message))
    return application


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the coachbot Telegram bot.")
    parser.add_argument("--db", help="SQLite file keeping conversations across restarts")
    args = parser.parse_args(argv)
    token = os.environ.get("TELEGRAM_TOKEN", "").strip()
    if not token:
        print("error: set TELEGRAM_TOKEN to the bot token from @BotFather", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    store: SessionStore = MemoryStore()
    if args.db:
        store = SQLiteStore(args.db, idle_seconds=30 * 86_400)
    application = build_application(token, Responder(Coach(), store))
    application.run_polling(allowed_updates=["message"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
