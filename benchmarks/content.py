"""Synthetic content for the benchmark and the scale tests: N organisations, each a copy of
one of the project's own policies (so the content follows the schema as it evolves) with its
name, slug and rule values varied. Each policy attaches the standard forms; every other pass
adds an equipment loan and a follow-up interval, for a mix of forms.
"""

from __future__ import annotations

import copy
import re
import shutil
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from generator.fields import LANGUAGES

PROJECT_ROOT = Path(__file__).resolve().parent.parent
FORMS = ["avtale", "sjekkliste", "oppfolgingssamtale", "utstyrslan"]
"""The standard forms every synthetic policy attaches."""

# Invented place names; an organisation is "<place> kommune".
PLACES = [
    "Fjordvik",
    "Bjørkedal",
    "Solberg",
    "Havøy",
    "Nordmo",
    "Steinvik",
    "Elvedal",
    "Furuvoll",
    "Myrhaug",
    "Sjøholt",
    "Lyngnes",
    "Åsbakken",
    "Kvernes",
    "Tindfjell",
    "Grønlia",
    "Storøy",
    "Breidablikk",
    "Vindheim",
    "Eikeland",
    "Mosvik",
    "Rognan",
    "Lauvås",
    "Skjærvik",
    "Fossheim",
]


class _Dumper(yaml.SafeDumper):
    """YAML like a maintainer writes it: multi-line text as literal blocks."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def _read_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _write_yaml(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)
    path.write_text(text, encoding="utf-8")


def _slugify(text: str) -> str:
    text = text.lower().replace("æ", "ae").replace("ø", "o").replace("å", "a")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


@dataclass(frozen=True)
class Template:
    """One of the project's own policies, with its organisation and texts."""

    organisation: dict[str, Any]
    policy: dict[str, Any]
    texts: dict[str, dict[str, Any]]


def load_templates(content: Path) -> list[Template]:
    """The project's policies as starting points for synthetic ones."""
    templates = []
    for folder in sorted(p for p in (content / "policies").iterdir() if p.is_dir()):
        policy = _read_yaml(folder / "policy.yml")
        organisation = _read_yaml(content / "organisations" / f"{policy['organisation']}.yml")
        texts = {lang: _read_yaml(folder / f"{lang}.yml") for lang in LANGUAGES}
        templates.append(Template(organisation, policy, texts))
    if not templates:
        raise SystemExit(f"no policies in {content / 'policies'} to base the content on")
    return templates


def _vary_rules(rules: dict[str, Any], index: int, donors: list[Template]) -> dict[str, Any]:
    """Rule values that differ between organisations; every other pass adds the equipment loan
    and the follow-up interval where the template lacks them, for a mix of forms."""
    rules = copy.deepcopy(rules)
    if "home_days_per_week_max" in rules:
        rules["home_days_per_week_max"] = 2 + index % 2
    if "follow_up_interval_months" in rules:
        rules["follow_up_interval_months"] = (3, 4, 6)[index % 3]
    if "office_days_per_week_recommended" in rules:
        rules["office_days_per_week_recommended"] = ({"min": 2, "max": 3}, {"min": 3, "max": 4})[
            index % 2
        ]
    if "archive_system" in rules:
        rules["archive_system"] = ("Websak", "Elements", "P360", "Acos WebSak")[index % 4]
    if "insurance_provider" in rules:
        rules["insurance_provider"] = ("Waco", "KLP", "Gjensidige")[index % 3]
    if (index // len(donors)) % 2 == 1:
        rules.setdefault("follow_up_interval_months", 6)
        equipment = [d.policy.get("rules", {}).get("equipment_on_loan") for d in donors]
        lent = [item for item in equipment if item]
        if lent:
            rules.setdefault("equipment_on_loan", copy.deepcopy(lent[0][: 3 + index % 5]))
    return rules


SUMMARY_SECTION = {
    "nb": {
        "heading": "Reglene i korte trekk",
        "intro": (
            "Her er de viktigste reglene samlet. Ved tvil gjelder teksten over, og nærmeste\n"
            "leder kan svare på spørsmål om hvordan reglene brukes i egen enhet.\n"
        ),
        "home_days_per_week_max": (
            "- Hjemmekontor kan avtales inntil {{ rules.home_days_per_week_max }} dager per uke."
        ),
        "follow_up_interval_months": (
            "- Leder følger opp hver {{ rules.follow_up_interval_months }}. måned, det vil si\n"
            "  {{ rules.follow_ups_per_year | words }} ganger i året."
        ),
        "equipment_on_loan": "- Arbeidsgiver låner ut {{ rules.equipment_on_loan | items }}.",
    },
    "nn": {
        "heading": "Reglane i korte trekk",
        "intro": (
            "Her er dei viktigaste reglane samla. Ved tvil gjeld teksten over, og næraste\n"
            "leiar kan svare på spørsmål om korleis reglane blir brukte i eiga eining.\n"
        ),
        "home_days_per_week_max": (
            "- Heimekontor kan avtalast inntil {{ rules.home_days_per_week_max }} dagar per veke."
        ),
        "follow_up_interval_months": (
            "- Leiaren følgjer opp kvar {{ rules.follow_up_interval_months }}. månad, det vil\n"
            "  seie {{ rules.follow_ups_per_year | words }} gonger i året."
        ),
        "equipment_on_loan": "- Arbeidsgivaren lånar ut {{ rules.equipment_on_loan | items }}.",
    },
}
"""An extra section per text that states the varied rules, so a rule change shows in the text."""

OWN_WORDS = {"nb": "Dette gjelder {name}.", "nn": "Dette gjeld {name}."}
"""Added to each section that fills in a rule: every organisation writes its own policy, so no
two organisations' texts are the same (as copies, they would share their compiled texts)."""


def _vary_text(
    text: dict[str, Any], lang: str, old_name: str, new_name: str, rules: dict[str, Any]
) -> dict[str, Any]:
    """A copy of a policy text under the new organisation's name, plus a summary of its rules."""
    text = copy.deepcopy(text)
    text["summary"] = text["summary"].replace(old_name, new_name)
    for section in text["sections"]:
        section["body"] = section["body"].replace(old_name, new_name)
    words = SUMMARY_SECTION[lang]
    points = [words[rule] for rule in words if rule in rules]
    body = words["intro"] + ("\n" + "\n".join(points) + "\n" if points else "")
    text["sections"].append(
        {"id": "regler-i-korte-trekk", "heading": words["heading"], "body": body}
    )
    own = OWN_WORDS[lang].format(name=new_name)
    for section in text["sections"]:
        if "{{" in section["body"] and own not in section["body"]:
            section["body"] = section["body"].rstrip("\n") + "\n\n" + own + "\n"
    return text


def write_content(target: Path, orgs: int) -> list[Path]:
    """Synthetic content for ``orgs`` organisations; returns each policy.yml written."""
    source = PROJECT_ROOT / "content"
    templates = load_templates(source)
    target.mkdir(parents=True)
    shutil.copy(source / "accessibility.yml", target / "accessibility.yml")
    shutil.copy(source / "rules.yml", target / "rules.yml")
    policy_files = []
    for index in range(orgs):
        template = templates[index % len(templates)]
        place = PLACES[index % len(PLACES)]
        if index >= len(PLACES):
            place += f" {index // len(PLACES) + 1}"
        name = f"{place} kommune"
        slug = _slugify(name)

        organisation = copy.deepcopy(template.organisation)
        organisation.update(
            slug=slug,
            name={"nb": name, "nn": name},
            official_language=("nb", "nn", "neutral")[index % 3],
            contact={"url": f"https://www.{slug}.no/"},
        )
        _write_yaml(target / "organisations" / f"{slug}.yml", organisation)

        policy = copy.deepcopy(template.policy)
        policy["organisation"] = slug
        policy["rules"] = _vary_rules(policy.get("rules", {}), index, templates)
        policy["attachments"] = list(FORMS)
        folder = target / "policies" / f"{slug}-{policy['id']}"
        _write_yaml(folder / "policy.yml", policy)
        policy_files.append(folder / "policy.yml")
        for lang in LANGUAGES:
            old_name = template.organisation["name"][lang]
            text = _vary_text(template.texts[lang], lang, old_name, name, policy["rules"])
            _write_yaml(folder / f"{lang}.yml", text)
    return policy_files


def change_one_rule(policy_file: Path) -> str:
    """Edit one rule value that the texts and forms use; returns what changed."""
    policy = _read_yaml(policy_file)
    rules = policy["rules"]
    for rule, values in (
        ("home_days_per_week_max", (1, 2)),
        ("follow_up_interval_months", (4, 6)),
        ("no_agreement_below_months", (2, 3)),
    ):
        if rule in rules:
            old = rules[rule]
            rules[rule] = values[0] if old != values[0] else values[1]
            _write_yaml(policy_file, policy)
            return f"{policy['organisation']}: rules.{rule} {old} -> {rules[rule]}"
    raise SystemExit(f"{policy_file} sets none of the rules this benchmark changes")
