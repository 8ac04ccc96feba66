"""`ivr agents`: agent accounts from the command line (the same as `POST /api/agents`).

`ivr agents add li --skills hrss,medical_insurance` prints the new agent's API key once:
give it to the agent for the desk (`/agent`) or a websocket client (`WS /agent/ws`).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable

from sqlalchemy.exc import SQLAlchemyError

from dialog.intents import KnowledgeBaseError, load_knowledge_base
from ivr.config import ServerConfig
from ivr.contact.agent_store import AgentError, AgentStore
from ivr.db.engine import database_url, display_url, open_engine
from ivr.db.migrate import upgrade


def add_agents_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    a = sub.add_parser("agents", help="agent accounts of the contact centre: add, list, key")
    a.add_argument("--url", help="database URL (default: IVR_DATABASE_URL, else IVR_DB_PATH)")
    asub = a.add_subparsers(title="agents commands", required=True)
    add = asub.add_parser("add", help="create an agent and print their API key (shown once)")
    add.add_argument("agent_id")
    add.add_argument("--skills", required=True,
                     help="comma-separated department ids from intents.yaml, e.g. hrss,tax")
    add.add_argument("--name", default="", help="the name the desk shows")
    add.add_argument("--dial", default=None, help="phone number or SIP URI for platform "
                     "transfers to this agent")
    add.set_defaults(func=_add)
    asub.add_parser("list", help="every agent with skills").set_defaults(func=_list)
    key = asub.add_parser("key", help="replace an agent's API key (the old one stops working)")
    key.add_argument("agent_id")
    key.set_defaults(func=_key)
    off = asub.add_parser("disable", help="stop an agent from signing in")
    off.add_argument("agent_id")
    off.set_defaults(func=_disable)


def _store(args: argparse.Namespace) -> AgentStore:
    config = ServerConfig.from_env()
    engine = open_engine(database_url(args.url or config.database_url, config.db_path))
    upgrade(engine)
    return AgentStore(engine)


def _run(args: argparse.Namespace, work: Callable[[AgentStore], int]) -> int:
    try:
        return work(_store(args))
    except (AgentError, LookupError) as exc:
        print(f"ivr agents: {exc}", file=sys.stderr)
        return 1
    except SQLAlchemyError as exc:
        config = ServerConfig.from_env()
        url = display_url(database_url(args.url or config.database_url, config.db_path))
        print(f"ivr agents: cannot use the database {url}: {exc}", file=sys.stderr)
        return 1


def _add(args: argparse.Namespace) -> int:
    skills = {s.strip() for s in args.skills.split(",") if s.strip()}
    try:
        known = set(load_knowledge_base(ServerConfig.from_env().kb_path).departments)
    except KnowledgeBaseError as exc:
        print(f"ivr agents: {exc}", file=sys.stderr)
        return 1
    unknown = sorted(skills - known)
    if unknown:
        print(f"ivr agents: unknown departments {', '.join(unknown)} (known: "
              f"{', '.join(sorted(known))})", file=sys.stderr)
        return 1

    def work(store: AgentStore) -> int:
        account, key = store.add(args.agent_id, name=args.name, skills=skills,
                                 now=time.time(), dial_target=args.dial)
        print(f"agent {account.agent_id} ({', '.join(sorted(account.skills))})\nkey: {key}")
        return 0
    return _run(args, work)


def _list(args: argparse.Namespace) -> int:
    def work(store: AgentStore) -> int:
        for a in store.list():
            state = " (disabled)" if a.disabled else ""
            print(f"{a.agent_id}\t{a.name}\t{','.join(sorted(a.skills))}\t"
                  f"{a.dial_target or '-'}{state}")
        return 0
    return _run(args, work)


def _key(args: argparse.Namespace) -> int:
    def work(store: AgentStore) -> int:
        print(f"key: {store.new_key(args.agent_id)}")
        return 0
    return _run(args, work)


def _disable(args: argparse.Namespace) -> int:
    def work(store: AgentStore) -> int:
        store.update(args.agent_id, disabled=True)
        print(f"agent {args.agent_id} disabled")
        return 0
    return _run(args, work)
