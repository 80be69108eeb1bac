"""Alerts when a pipeline task fails: always to the log; also to a webhook and/or by e-mail when configured.

Configuration (environment or kho.toml, like every KHO_* value):
  KHO_ALERT_WEBHOOK_URL   POST a JSON body {"text", "subject", "dag_id", "task_id", …} (Slack, Teams, Mattermost,
                          Zalo bot relays and plain HTTP receivers all accept a JSON POST)
  KHO_ALERT_SMTP_HOST, KHO_ALERT_SMTP_PORT (587), KHO_ALERT_SMTP_USER, KHO_ALERT_SMTP_PASSWORD,
  KHO_ALERT_SMTP_FROM, KHO_ALERT_SMTP_TO (comma-separated), KHO_ALERT_SMTP_STARTTLS (true)

An alert never raises: a broken alert channel is logged, and must not hide the failure it reports.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import smtplib
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from kho.settings import read_config

log = logging.getLogger("kho.alerts")


@dataclass(frozen=True)
class AlertChannels:
    webhook_url: str | None = None
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "kho@localhost"
    smtp_to: tuple[str, ...] = ()
    smtp_starttls: bool = True
    timeout: float = 10.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> AlertChannels:
        values = read_config(os.environ if env is None else env)
        return cls(
            webhook_url=values.get("KHO_ALERT_WEBHOOK_URL") or None,
            smtp_host=values.get("KHO_ALERT_SMTP_HOST") or None,
            smtp_port=int(values.get("KHO_ALERT_SMTP_PORT", 587)),
            smtp_user=values.get("KHO_ALERT_SMTP_USER") or None,
            smtp_password=values.get("KHO_ALERT_SMTP_PASSWORD") or None,
            smtp_from=values.get("KHO_ALERT_SMTP_FROM", "kho@localhost"),
            smtp_to=tuple(a.strip() for a in values.get("KHO_ALERT_SMTP_TO", "").split(",") if a.strip()),
            smtp_starttls=values.get("KHO_ALERT_SMTP_STARTTLS", "true").lower() not in ("0", "false", "no"),
        )


@dataclass
class Alert:
    subject: str
    text: str
    details: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"subject": self.subject, "text": self.text, **self.details}


def send_alert(alert: Alert, channels: AlertChannels | None = None) -> list[str]:
    """Deliver an alert on every configured channel; the channels it reached ("log", "webhook", "smtp")."""
    channels = channels or AlertChannels.from_env()
    log.error("ALERT %s: %s", alert.subject, alert.text)
    reached = ["log"]
    if channels.webhook_url:
        try:
            request = urllib.request.Request(
                channels.webhook_url, data=json.dumps(alert.as_json(), default=str).encode("utf-8"),
                headers={"Content-Type": "application/json; charset=utf-8"}, method="POST")
            with urllib.request.urlopen(request, timeout=channels.timeout) as response:
                response.read()
            reached.append("webhook")
        except Exception as exc:  # the alert is best effort; the failure is already logged
            log.warning("alert webhook %s failed: %s", channels.webhook_url, exc)
    if channels.smtp_host and channels.smtp_to:
        try:
            message = EmailMessage()
            message["Subject"], message["From"] = alert.subject, channels.smtp_from
            message["To"] = ", ".join(channels.smtp_to)
            message.set_content(alert.text + "\n\n" + json.dumps(alert.details, default=str, indent=2,
                                                                  ensure_ascii=False))
            with smtplib.SMTP(channels.smtp_host, channels.smtp_port, timeout=channels.timeout) as smtp:
                if channels.smtp_starttls:
                    smtp.starttls()
                if channels.smtp_user:
                    _login(smtp, channels.smtp_user, channels.smtp_password or "")
                smtp.send_message(message)
            reached.append("smtp")
        except Exception as exc:
            log.warning("alert e-mail via %s failed: %s", channels.smtp_host, exc)
    return reached


def _login(smtp: smtplib.SMTP, user: str, password: str) -> None:
    try:
        smtp.login(user, password)
    except UnicodeEncodeError:
        # smtplib sends credentials as ASCII only; AUTH PLAIN (RFC 4616) carries UTF-8, as a Vietnamese password needs.
        token = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
        code, reply = smtp.docmd("AUTH", f"PLAIN {token}")
        if code != 235:
            raise smtplib.SMTPAuthenticationError(code, reply) from None


def alert_from_airflow_context(context: Mapping[str, Any]) -> Alert:
    """What failed, where and why, from an Airflow task context."""
    ti = context.get("ti") or context.get("task_instance")
    dag_run = context.get("dag_run")
    dag_id = getattr(ti, "dag_id", None) or getattr(dag_run, "dag_id", "?")
    task_id = getattr(ti, "task_id", "?")
    run_id = getattr(ti, "run_id", None) or getattr(dag_run, "run_id", "?")
    error = context.get("exception")
    reason = f"{type(error).__name__}: {error}" if error is not None else "unknown error"
    details = {"dag_id": dag_id, "task_id": task_id, "run_id": run_id,
               "try_number": getattr(ti, "try_number", None), "error": reason,
               "logical_date": str(context.get("logical_date")) if context.get("logical_date") else None}
    return Alert(subject=f"[Kho] {dag_id}.{task_id} failed", text=f"{dag_id}.{task_id} ({run_id}) failed: {reason}",
                 details=details)


def on_task_failure(context: Mapping[str, Any]) -> None:
    """Airflow `on_failure_callback`: alert on every configured channel."""
    send_alert(alert_from_airflow_context(context))
