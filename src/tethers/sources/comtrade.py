"""UN Comtrade merchandise trade, reporter-declared (imports c.i.f., exports f.o.b.).

Publisher formats
-----------------
* **Comtrade Plus** bulk/API CSV (comtradeplus.un.org, ``comtradeapicall``): ``typeCode, freqCode,
  refYear, reporterCode, reporterISO, flowCode, partnerCode, partnerISO, partner2Code,
  classificationCode, cmdCode, customsCode, motCode, netWgt, qty, primaryValue …``.
* **Legacy** comtrade.un.org CSV (before 2023): ``Classification, Year, Period, Trade Flow Code,
  Trade Flow, Reporter Code, Reporter, Reporter ISO, Partner Code, Partner, Partner ISO, 2nd Partner
  Code, Commodity Code, Netweight (kg), Trade Value (US$) …``; the bulk-download variant writes the
  flow as ``M``/``X``/``RM``/``RX`` and the world as ``W00``.

Decisions: flows ``M``/Import → ``import`` and ``X``/Export → ``export``; re-imports and re-exports
(``RM``, ``RX``) and the domestic/foreign split (``DX``, ``FM``) are **skipped** — ``X`` and ``M`` are
already totals. Breakdown rows (second partner ≠ world, customs procedure ≠ ``C00``, transport
mode ≠ 0) are skipped too; annual data only (``freqCode`` A). Partner World (0, ``W00``/``WLD``) →
``WLD``; "Other Asia, nes" (490, ``S19``) → ``TWN`` as in BACI; other "… nes" areas, bunkers, free
zones and special categories → ``XXX`` (summed). Classification ``H0``…``H6`` → ``HS92``…``HS22``,
``S1``…``S4`` → ``SITC1``…``SITC4``; ``TOTAL`` rows → classification/product ``TOTAL``, level 0.
Codes that lost a leading zero are padded (``1`` → ``01``). One reporter-year may not mix two
classifications (their sum would double count). Net weight is kept in ``kg``.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from . import Source
from ._common import ROW, header_line, read_csv_strings, to_number
from ._trade import find_columns, norm, pad_hs, raise_first, resolve_countries, trade_frame
from .baci import country_codes

PLUS = {
    "year": ("refYear",), "freq": ("freqCode",), "reporter": ("reporterCode",), "reporter_iso": ("reporterISO",),
    "reporter_name": ("reporterDesc",), "flow": ("flowCode",), "partner": ("partnerCode",),
    "partner_iso": ("partnerISO",), "partner_name": ("partnerDesc",), "partner2": ("partner2Code",),
    "classification": ("classificationCode",), "product": ("cmdCode",), "customs": ("customsCode",),
    "mot": ("motCode",), "kg": ("netWgt",), "value": ("primaryValue",),
}
LEGACY = {
    "classification": ("Classification",), "year": ("Year",), "period": ("Period",), "flow": ("Trade Flow",),
    "reporter": ("Reporter Code",), "reporter_name": ("Reporter",), "reporter_iso": ("Reporter ISO",),
    "partner": ("Partner Code",), "partner_name": ("Partner",), "partner_iso": ("Partner ISO",),
    "partner2": ("2nd Partner Code",), "product": ("Commodity Code",), "kg": ("Netweight (kg)",),
    "value": ("Trade Value (US$)",),
}
OPTIONAL = ("freq", "reporter_iso", "reporter_name", "partner_iso", "partner_name", "partner2", "customs", "mot",
            "kg", "period", "classification")
FLOWS = {"M": "import", "X": "export", "IMPORT": "import", "EXPORT": "export"}
SKIPPED_FLOWS = ("RM", "RX", "DX", "FM", "RE-IMPORT", "RE-EXPORT", "MIP", "XIP", "MOP", "XOP", "MIF", "XIF")
CLASSIFICATIONS = {"H0": "HS92", "H1": "HS96", "H2": "HS02", "H3": "HS07", "H4": "HS12", "H5": "HS17",
                   "H6": "HS22", "HS": "HS", "S1": "SITC1", "S2": "SITC2", "S3": "SITC3", "S4": "SITC4",
                   "BE": "BEC", "B4": "BEC", "B5": "BEC5"}
AREAS = {"0": "WLD", "W00": "WLD", "WLD": "WLD", "490": "TWN", "S19": "TWN", "899": "XXX", "_X": "XXX",
         "837": "XXX", "838": "XXX", "839": "XXX", "X1": "XXX", "XX": "XXX"}


class Comtrade(Source):
    id = "comtrade"
    tables = ("trade",)
    columns = {"year": "refYear / Year", "value_usd": "primaryValue / Trade Value (US$)"}

    def handles(self, path: Path) -> bool:
        head = {norm(h.strip().strip('"')) for h in header_line(path).split(",")}
        return path.suffix.lower() in (".csv", ".gz") and (
            {"refyear", "reportercode", "flowcode", "primaryvalue"} <= head
            or {"year", "tradeflow", "reportercode", "tradevalueus"} <= head)

    def parse(self, path: Path) -> dict[str, pl.DataFrame]:
        head = {norm(h.strip().strip('"')) for h in header_line(path).split(",")}
        wanted = PLUS if "primaryvalue" in head or "refyear" in head else LEGACY
        cols = find_columns(path, source=self.id, wanted=wanted, optional=OPTIONAL)
        df = read_csv_strings(path, source=self.id, required=list(cols.values()),
                              trailing_separator=_trailing_comma(path))
        df = df.rename({v: k for k, v in cols.items()}).with_columns(pl.col(c).str.strip_chars() for c in cols)
        lab = lambda c: cols.get(c, c)  # noqa: E731
        df = self._rows_in_scope(path, df, lab)
        df = to_number(df, "value", source=self.id, path=path, label=lab("value"))
        raise_first(df, pl.col("value").is_null(), source=self.id, path=path, column="value", label=lab("value"),
                    reason="missing value")
        raise_first(df, pl.col("value") < 0, source=self.id, path=path, column="value", label=lab("value"),
                    reason=lambda v: f"{v!r} is negative")
        df = to_number(df, "year", source=self.id, path=path, label=lab("year"), dtype=pl.Int32)
        raise_first(df, (pl.col("year") < 1800) | (pl.col("year") > 2100), source=self.id, path=path, column="year",
                    label=lab("year"), reason=lambda v: f"{v!r} is not a plausible year (1800–2100)")
        if "kg" in df.columns:
            df = to_number(df, "kg", source=self.id, path=path, label=lab("kg"))
        df = self._products(path, df, lab)
        for side in ("reporter", "partner"):
            df = self._countries(path, df, side, lab)
        df = self._check_mixed(path, df, lab)
        kg = pl.col("kg") if "kg" in df.columns else pl.lit(None, pl.Float64)  # a weight of all goods is meaningless
        df = df.with_columns(pl.when(pl.col("product") == "TOTAL").then(None).otherwise(kg).alias("quantity"))
        df = df.rename({"value": "value_usd"})
        nes = df.filter(pl.col("partner") == "XXX")
        if nes.height:  # several "nes" areas → one XXX row per key
            key = ["year", "reporter", "partner", "classification", "product", "level", "flow"]
            nes = nes.group_by(key).agg(pl.col(ROW).min(), pl.col("value_usd").sum(), pl.col("quantity").sum())
            df = pl.concat([df.filter(pl.col("partner") != "XXX").select(ROW, *key, "value_usd", "quantity"),
                            nes.select(ROW, *key, "value_usd", "quantity")]).sort(ROW)
        return {"trade": trade_frame(df, source=self.id, quantity_unit="kg")}

    def _rows_in_scope(self, path: Path, df: pl.DataFrame, lab) -> pl.DataFrame:
        if "freq" in df.columns:
            raise_first(df, pl.col("freq") != "A", source=self.id, path=path, column="freq", label=lab("freq"),
                        reason=lambda v: f"frequency {v!r}: only annual data (A) is read")
        if "period" in df.columns:
            raise_first(df, ~pl.col("period").str.contains(r"^\d{4}$"), source=self.id, path=path, column="period",
                        label=lab("period"), reason=lambda v: f"period {v!r}: only annual data is read")
        flow = pl.col("flow").str.to_uppercase()
        raise_first(df, ~(flow.is_in(list(FLOWS)) | flow.is_in(list(SKIPPED_FLOWS))), source=self.id, path=path,
                    column="flow", label=lab("flow"), reason=lambda v: f"trade flow {v!r} is not M/X/Import/Export "
                    f"(re-imports and re-exports are skipped)")
        keep = flow.is_in(list(FLOWS))
        if "partner2" in df.columns:
            keep &= pl.col("partner2").fill_null("0").is_in(["", "0"])
        if "customs" in df.columns:
            keep &= pl.col("customs").fill_null("C00").is_in(["", "C00"])
        if "mot" in df.columns:
            keep &= pl.col("mot").fill_null("0").is_in(["", "0"])
        return df.filter(keep).with_columns(flow.replace_strict(FLOWS, return_dtype=pl.Utf8).alias("flow"))

    def _products(self, path: Path, df: pl.DataFrame, lab) -> pl.DataFrame:
        if "classification" not in df.columns:
            raise self.fail(path, "no classification column (classificationCode / Classification)", row=1)
        raise_first(df, ~pl.col("classification").is_in(list(CLASSIFICATIONS)), source=self.id, path=path,
                    column="classification", label=lab("classification"),
                    reason=lambda v: f"classification {v!r} is not one of {sorted(CLASSIFICATIONS)}")
        total = pl.col("product").str.to_uppercase().is_in(["TOTAL", "ALL"])
        code = pad_hs(pl.col("product"))
        raise_first(df, ~(total | code.str.contains(r"^\d{1,6}$")), source=self.id, path=path, column="product",
                    label=lab("product"), reason=lambda v: f"{v!r} is not a commodity code")
        return df.with_columns(
            pl.when(total).then(pl.lit("TOTAL"))
            .otherwise(pl.col("classification").replace_strict(CLASSIFICATIONS, return_dtype=pl.Utf8)).alias("classification"),
            pl.when(total).then(pl.lit("TOTAL")).otherwise(code).alias("product"),
            pl.when(total).then(0).otherwise(code.str.len_chars()).cast(pl.Int32).alias("level"),
        )

    def _countries(self, path: Path, df: pl.DataFrame, side: str, lab) -> pl.DataFrame:
        """ISO3 from the ISO column where it holds a 3-letter code, else the numeric code; areas → WLD/TWN/XXX."""
        iso, name = f"{side}_iso", f"{side}_name"
        code = pl.col(side).str.replace(r"^0+(\d)", "$1")
        key = pl.when(pl.col(iso).str.contains(r"^[A-Z]{3}$|^[A-Z]\d{2}$|^_X$")).then(pl.col(iso)).otherwise(code) \
            if iso in df.columns else code
        area = key.replace_strict(AREAS, default=None, return_dtype=pl.Utf8)
        nes = key.str.contains(r"^[A-Z]\d{2}$|^_X$")
        if name in df.columns:  # "… nes", bunkers, free zones, special categories
            nes = nes | pl.col(name).str.contains(r"(?i)\bnes\b|n\.e\.s|bunkers|free zones|special categories")
        df = df.with_columns(pl.coalesce(area, pl.when(nes).then(pl.lit("XXX")), key).alias(side))
        codes = {**country_codes(), "WLD": "WLD", "TWN": "TWN", "XXX": "XXX"}
        use_names = name in df.columns and iso not in df.columns  # the ISO column, when present, decides
        return resolve_countries(df, side, source=self.id, path=path, label=lab(iso if iso in df.columns else side),
                                 codes=codes, numeric=True, names=name if use_names else None)

    def _check_mixed(self, path: Path, df: pl.DataFrame, lab) -> pl.DataFrame:
        detail = df.filter(pl.col("classification") != "TOTAL")
        counts = detail.group_by("reporter", "year").agg(pl.col("classification").n_unique().alias("n"),
                                                         pl.col("classification").unique().sort().alias("c"))
        mixed = counts.filter(pl.col("n") > 1)
        if mixed.height:
            rec = mixed.row(0, named=True)
            first = detail.filter((pl.col("reporter") == rec["reporter"]) & (pl.col("year") == rec["year"]))
            second = first.filter(pl.col("classification") != first["classification"][0])[ROW].min()
            raise self.fail(path, f"{rec['reporter']} {rec['year']} mixes classifications {', '.join(rec['c'])} "
                                  f"(their sum would double count)", row=second, column=lab("classification"))
        return df


def _trailing_comma(path: Path) -> bool:
    """Comtrade Plus API exports end every data line (not the header) with one extra comma."""
    import csv

    from ._common import decode_text, read_bytes

    head = decode_text(read_bytes(path)[:200_000], source="comtrade", path=path, encoding="latin-1").splitlines()[:2]
    if len(head) < 2:
        return False
    header, first = (next(csv.reader([line])) for line in head)
    return len(first) == len(header) + 1 and first[-1] == ""


SOURCE = Comtrade()
