"""``deid_rules.csv``: what the de-identifier removes, what replaces it and what must stay."""

from pathlib import Path

from transforms.deid import TOKEN_KINDS, DeidRules
from transforms.reporter_mask import PETITION_KINDS
from warehouse.rule_files import DEFAULT_RULES, RuleError, csv_rows

DEID_KINDS = (
    "token", "petition_token", "setting", "reporter_cue", "person_cue", "person_after", "surnames", "surnames_rare",
    "compound_surname", "compound_surname_rare", "given_chars", "name_stop", "not_name", "not_place", "must_keep",
)  # fmt: skip


def load_deid_rules(folder: Path = DEFAULT_RULES) -> DeidRules:
    """``deid_rules.csv``: what the de-identifier removes, what replaces it and what must stay.

    One row per rule: ``kind`` (``token``/``petition_token``: ``value`` a recognised kind and
    ``replacement`` its token; ``setting``; cue words before and after a name; ``surnames`` as a run of characters;
    ``compound_surname``; ``surnames_rare`` and ``compound_surname_rare``, the full table of
    surnames with its source, trusted only after a cue word; ``given_chars`` and ``name_stop`` characters; ``not_name``/``not_place`` guards;
    ``must_keep`` terms), ``value`` and the ``basis`` it follows.

    Raises:
        RuleError: a missing column or cell, an unknown kind, a token for a kind no recogniser
            has, a kind without its token, a surname that is not one Chinese character, a term
            listed twice, a bad setting; names the file and the line.
    """
    path = folder / "deid_rules.csv"
    rows = csv_rows(path, ("kind", "value", "basis"))
    by_kind: dict[str, list[tuple[int, dict[str, str]]]] = {k: [] for k in DEID_KINDS}
    seen: dict[tuple[str, str], int] = {}
    for line, row in enumerate(rows, start=2):
        where = f"{path}, line {line}"
        if row["kind"] not in DEID_KINDS:
            raise RuleError(
                f"{where}: kind must be one of {', '.join(DEID_KINDS)}, found {row['kind']!r}"
            )
        if (row["kind"], row["value"]) in seen:
            raise RuleError(
                f"{where}: {row['kind']} {row['value']!r} is already on line {seen[(row['kind'], row['value'])]}"
            )
        seen[(row["kind"], row["value"])] = line
        by_kind[row["kind"]].append((line, row))
    tokens = {}
    for kind, known in (("token", TOKEN_KINDS), ("petition_token", PETITION_KINDS)):
        table = {}
        for line, row in by_kind[kind]:
            if row["value"] not in known or not row.get("replacement"):
                raise RuleError(
                    f"{path}, line {line}: a {kind} names one of {', '.join(known)} and has a replacement"
                )
            table[row["value"]] = row["replacement"]
        if missing := [k for k in known if k not in table]:
            raise RuleError(f"{path}: no {kind} for {', '.join(missing)}")
        tokens[kind] = table
    surnames = "".join(row["value"] for _, row in by_kind["surnames"])
    runs = (
        "surnames",
        "surnames_rare",
        "compound_surname",
        "compound_surname_rare",
        "given_chars",
        "name_stop",
    )
    for line, row in [item for kind in runs for item in by_kind[kind]]:
        if not all("\u4e00" <= c <= "\u9fff" for c in row["value"]):
            raise RuleError(
                f"{path}, line {line}: {row['kind']} must be Chinese characters, found {row['value']!r}"
            )
    settings = {
        row["value"]: (line, row.get("replacement", "")) for line, row in by_kind["setting"]
    }
    line, minimum = settings.get("reporter_min_length", (0, "2"))
    if not minimum.isdigit() or int(minimum) < 2:
        raise RuleError(f"{path}, line {line}: reporter_min_length must be a whole number ≥ 2")

    def values(kind: str) -> tuple[str, ...]:
        return tuple(row["value"] for _, row in by_kind[kind])

    return DeidRules(
        tokens=tokens["token"],
        petition_tokens=tokens["petition_token"],
        reporter_cues=values("reporter_cue"),
        person_cues=values("person_cue"),
        person_after=values("person_after"),
        surnames=frozenset(surnames),
        compound_surnames=values("compound_surname"),
        rare_surnames=frozenset("".join(values("surnames_rare"))) - frozenset(surnames),
        rare_compounds=values("compound_surname_rare"),
        given_chars=frozenset("".join(values("given_chars"))),
        name_stop=frozenset("".join(values("name_stop"))),
        not_names=frozenset(values("not_name")),
        not_places=values("not_place"),
        must_keep=values("must_keep"),
        reporter_min_length=int(minimum),
    )
