"""Routing as data: content/partners.toml says which partner gets which report."""
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Partner:
    slug: str
    name: str
    mailbox_env: str


@dataclass(frozen=True)
class Rule:
    form: str
    when: dict
    partner: str
    reason: str
    otherwise: bool = False  # applies only when no other rule for the form matched

    def matches(self, form, answers):
        return form == self.form and all(_holds(answers.get(key), wanted) for key, wanted in self.when.items())


def _holds(answer, wanted):
    wanted = wanted if isinstance(wanted, list) else [wanted]
    given = answer if isinstance(answer, list) else [answer]
    return any(value in wanted for value in given)


class Router:
    def __init__(self, partners, rules):
        self.partners = partners
        self.rules = rules

    @classmethod
    def load(cls, content_dir):
        with open(Path(content_dir) / "partners.toml", "rb") as f:
            raw = tomllib.load(f)
        partners = {slug: Partner(slug=slug, **entry) for slug, entry in raw["partners"].items()}
        rules = [Rule(**entry) for entry in raw.get("rule", [])]
        unknown = {r.partner for r in rules} - set(partners)
        if unknown:
            raise ValueError(f"routing rules name unknown partners: {sorted(unknown)}")
        return cls(partners, rules)

    def route(self, form, answers):
        """[(Partner, reason)] for every matching rule; a partner appears once."""
        routed = {}
        for rule in self.rules:
            if not rule.otherwise and rule.partner not in routed and rule.matches(form, answers):
                routed[rule.partner] = (self.partners[rule.partner], rule.reason)
        if not routed:
            for rule in self.rules:
                if rule.otherwise and rule.matches(form, answers):
                    routed.setdefault(rule.partner, (self.partners[rule.partner], rule.reason))
        return list(routed.values())

    def mailbox(self, slug, env=None):
        env = os.environ if env is None else env
        return env.get(self.partners[slug].mailbox_env) or f"{slug}@partners.invalid"

    def missing_mailboxes(self, env=None):
        env = os.environ if env is None else env
        return [p.mailbox_env for p in self.partners.values() if not env.get(p.mailbox_env)]
