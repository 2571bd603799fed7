"""LaTeX in titles and abstracts, for every stage: plain Unicode, or text mode resolved.

arXiv metadata is LaTeX: `24\\%`, `\\textit{...}`, `\\"o`, `~`, `--` and `$...$` math. Two ways out:

- `to_unicode(s)`: plain text for the CLI, feeds and emails (`$\\alpha^2$` -> `α²`).
- `convert(s, keep_math=True)`: text-mode LaTeX resolved, math left as `$...$` for KaTeX in the
  browser; it also returns where each input position went, so highlight spans stay right.

`math_regions(s)` finds `$...$`, `$$...$$`, `\\(...\\)` and `\\[...\\]` (what KaTeX renders).
"""

# ruff: noqa: RUF001, RUF002  (tables of look-alike Unicode letters and symbols, on purpose)

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass

MAX_INLINE = 500  # a "$" with no partner this close is a dollar sign, not math
_OPEN = re.compile(r"\$\$|\$|\\\(|\\\[")
_CLOSE = {"$$": "$$", "$": "$", "\\(": "\\)", "\\[": "\\]"}


def math_regions(s: str) -> list[tuple[int, int]]:
    """[start, end) of each math region, delimiters included, in order (one linear pass)."""
    out: list[tuple[int, int]] = []
    pos = 0
    while True:
        m = _OPEN.search(s, pos)
        if m is None:
            return out
        if m.start() > 0 and s[m.start() - 1] == "\\" and m.group() in ("$", "$$"):
            pos = m.start() + 1  # \$ is a dollar sign
            continue
        close = _CLOSE[m.group()]
        end = _find_close(s, m.end(), close)
        if end < 0 or end - m.end() > MAX_INLINE * (4 if len(close) == 2 else 1):
            pos = m.end()
            continue
        out.append((m.start(), end + len(close)))
        pos = end + len(close)


def _find_close(s: str, start: int, close: str) -> int:
    i = s.find(close, start)
    while i > 0 and s[i - 1] == "\\" and close[0] == "$":
        i = s.find(close, i + 1)
    if i == start:  # "$$" read as two empty "$": not math
        return -1
    return i


# --- text mode ------------------------------------------------------------------------------

_ACCENTS = {"'": "\u0301", "`": "\u0300", "^": "\u0302", '"': "\u0308", "~": "\u0303",
            "=": "\u0304", ".": "\u0307", "u": "\u0306", "v": "\u030c", "H": "\u030b",
            "c": "\u0327", "k": "\u0328", "r": "\u030a", "d": "\u0323", "b": "\u0331"}
_LETTERS = {"ss": "ß", "o": "ø", "O": "Ø", "ae": "æ", "AE": "Æ", "oe": "œ", "OE": "Œ",
            "aa": "å", "AA": "Å", "l": "ł", "L": "Ł", "i": "ı", "j": "ȷ"}
_WORDS = {"ldots": "…", "dots": "…", "LaTeX": "LaTeX", "TeX": "TeX", "textendash": "–",
          "textemdash": "—", "textasciitilde": "~", "textbackslash": "\\", "S": "§",
          "P": "¶", "copyright": "©", "textregistered": "®", "texttrademark": "™",
          "textbraceleft": "{", "textbraceright": "}", "textdegree": "°", "pounds": "£",
          "euro": "€", "newline": " ", "par": " ", "quad": " ", "qquad": " "}
_STRIP_ARG = {"textit", "textbf", "texttt", "textrm", "textsc", "textsf", "textup", "textsl",
              "textnormal", "emph", "text", "mbox", "hbox", "uline", "underline", "url",
              "mathrm", "mathit", "mathbf", "mathsf", "mathtt", "operatorname", "boldsymbol",
              "bm", "textmd"}
_DROP_ARG = {"cite", "citep", "citet", "ref", "eqref", "label", "footnote", "thanks"}
_ESCAPED = {"%": "%", "&": "&", "#": "#", "$": "$", "_": "_", "{": "{", "}": "}",
            " ": " ", ",": "\u2009", ";": " ", ":": " ", "!": "", "\\": " ", "/": "",
            "-": ""}

_TOKEN = re.compile(
    r"\\(?P<acc>['`^\"~=.])\s*(?:\{(?P<acc_arg>\\?[A-Za-z]?)\}|(?P<acc_ch>\\?[A-Za-z]))"
    r"|\\(?P<acc2>[uvHckrdb])(?:\{(?P<acc2_arg>\\?[A-Za-z]?)\}|\s+(?P<acc2_ch>[A-Za-z]))"
    r"|\\(?P<cmd>[A-Za-z]++)\*?(?:\{(?P<arg>[^{}$]*)\}|\s*(?=[^{]|$))"
    r"|\\(?P<opencmd>[A-Za-z]+)\*?(?=\{)"  # an argument that holds math: \textbf{20$\times$}
    r"|\\(?P<esc>[%&#$_{} ,;:!\\/-])"
    r"|(?P<dash>---|--)|(?P<quote>``|'')|(?P<tilde>~)|(?P<brace>[{}])"
)


@dataclass
class Converted:
    """Converted text and where each input position went (`out_pos`)."""

    text: str
    _src: list[int]  # input start of each piece
    _out: list[int]  # output start of each piece
    _src_len: list[int]
    _out_len: list[int]

    def out_pos(self, i: int, end: bool = False) -> int:
        """Output position of input position `i` (a span's end maps to its piece's end)."""
        k = bisect_right(self._src, i - (1 if end else 0)) - 1
        if k < 0:
            return 0
        s, o, sl, ol = self._src[k], self._out[k], self._src_len[k], self._out_len[k]
        if sl == ol:  # copied text: exact
            return o + min(i - s, ol)
        return o + ol if end else o  # a replaced piece is all or nothing

    def map_spans(self, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
        out = []
        for a, b in spans:
            x, y = self.out_pos(a), self.out_pos(b, end=True)
            if y > x:
                out.append((x, y))
        return out


def _accent(mark: str, base: str) -> str:
    base = base.lstrip("\\")
    base = {"i": "i", "j": "j"}.get(base, base)
    return unicodedata.normalize("NFC", base + _ACCENTS[mark]) if base else ""


def _text_token(m: re.Match[str]) -> str | None:
    """The Unicode for one text-mode token, or None to copy it unchanged."""
    g = m.group
    if g("acc"):
        return _accent(g("acc"), g("acc_arg") if g("acc_arg") is not None else g("acc_ch"))
    if g("acc2"):
        return _accent(g("acc2"), g("acc2_arg") if g("acc2_arg") is not None else g("acc2_ch"))
    if g("cmd"):
        name, arg = g("cmd"), g("arg")
        if name in _STRIP_ARG and arg is not None:
            return to_unicode(arg) if "\\" in arg else arg
        if name in _DROP_ARG and arg is not None:
            return ""
        if arg is None and name in _LETTERS:
            return _LETTERS[name]
        if arg is None and name in _WORDS:
            return _WORDS[name]
        if arg is None and name in _SYMBOLS:
            return _SYMBOLS[name]
        return None
    if g("opencmd"):  # its braces go as braces do, its math stays math
        return "" if g("opencmd") in _STRIP_ARG else None
    if g("esc") is not None:
        return _ESCAPED[g("esc")]
    if g("dash"):
        return "—" if g("dash") == "---" else "–"
    if g("quote"):
        return "“" if g("quote") == "``" else "”"
    if g("tilde"):
        return "\u00a0"
    if g("brace"):
        return ""
    return None


def convert(s: str, keep_math: bool = True) -> Converted:
    """Text-mode LaTeX resolved to Unicode; math kept as written (or, with keep_math=False,
    turned into plain Unicode too). Linear in len(s)."""
    src: list[int] = []
    out: list[int] = []
    sl: list[int] = []
    ol: list[int] = []
    parts: list[str] = []
    olen = 0

    def emit(at: int, n: int, piece: str) -> None:
        nonlocal olen
        src.append(at)
        out.append(olen)
        sl.append(n)
        ol.append(len(piece))
        parts.append(piece)
        olen += len(piece)

    def text_part(a: int, b: int) -> None:
        pos = a
        for m in _TOKEN.finditer(s, a, b):
            rep = _text_token(m)
            if rep is None:
                continue
            if m.start() > pos:
                emit(pos, m.start() - pos, s[pos:m.start()])
            emit(m.start(), m.end() - m.start(), rep)
            pos = m.end()
        if b > pos:
            emit(pos, b - pos, s[pos:b])

    pos = 0
    for a, b in math_regions(s):
        text_part(pos, a)
        emit(a, b - a, s[a:b] if keep_math else math_to_unicode(s[a:b]))
        pos = b
    text_part(pos, len(s))
    return Converted("".join(parts), src, out, sl, ol)


def to_unicode(s: str | None) -> str:
    """Plain Unicode for places without a math renderer (CLI, feeds, emails)."""
    if not s or ("\\" not in s and "$" not in s and "~" not in s and "-" not in s
                 and "{" not in s and "`" not in s and "'" not in s):
        return s or ""
    return convert(s, keep_math=False).text


def text_mode(s: str | None) -> str:
    """Text-mode LaTeX resolved, math left for KaTeX (the browser)."""
    return convert(s or "", keep_math=True).text


# --- math to Unicode ------------------------------------------------------------------------

_GREEK = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota",
          "kappa", "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi",
          "chi", "psi", "omega"]
_SYMBOLS: dict[str, str] = {
    **{g: chr(0x3B1 + i + (1 if i >= 17 else 0)) for i, g in enumerate(_GREEK)},
    **{g.capitalize(): chr(0x391 + i + (1 if i >= 17 else 0)) for i, g in enumerate(_GREEK)},
    "varepsilon": "ε", "vartheta": "ϑ", "varphi": "φ", "varrho": "ϱ", "varsigma": "ς",
    "infty": "∞", "leq": "≤", "le": "≤", "geq": "≥", "ge": "≥", "neq": "≠", "ne": "≠",
    "approx": "≈", "sim": "∼", "simeq": "≃", "equiv": "≡", "propto": "∝", "times": "×",
    "cdot": "·", "cdots": "⋯", "ldots": "…", "dots": "…", "pm": "±", "mp": "∓", "div": "÷",
    "to": "→", "rightarrow": "→", "leftarrow": "←", "Rightarrow": "⇒", "Leftarrow": "⇐",
    "leftrightarrow": "↔", "Leftrightarrow": "⇔", "mapsto": "↦", "gets": "←",
    "in": "∈", "notin": "∉", "subset": "⊂", "subseteq": "⊆", "supset": "⊃", "cup": "∪",
    "cap": "∩", "emptyset": "∅", "forall": "∀", "exists": "∃", "neg": "¬", "wedge": "∧",
    "vee": "∨", "oplus": "⊕", "otimes": "⊗", "circ": "∘", "star": "⋆", "ast": "∗",
    "sum": "∑", "prod": "∏", "int": "∫", "oint": "∮", "partial": "∂", "nabla": "∇",
    "ell": "ℓ", "hbar": "ℏ", "sqrt": "√", "langle": "⟨", "rangle": "⟩", "mid": "|",
    "lVert": "‖", "rVert": "‖", "Vert": "‖", "vert": "|", "lvert": "|", "rvert": "|",
    "lbrace": "{", "rbrace": "}", "prime": "′", "degree": "°", "ll": "≪", "gg": "≫",
    "perp": "⊥", "parallel": "∥", "angle": "∠", "top": "⊤", "dagger": "†",
    "log": "log", "ln": "ln", "exp": "exp", "sin": "sin", "cos": "cos", "tan": "tan",
    "max": "max", "min": "min", "arg": "arg", "lim": "lim", "det": "det", "dim": "dim",
    "sup": "sup", "inf": "inf", "Pr": "Pr", "mathrm": "", "left": "", "right": "",
    "big": "", "Big": "", "bigg": "", "displaystyle": "", "limits": "", "nolimits": "",
}
_SUP = dict(zip("0123456789+-=()nijkTtx", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱʲᵏᵀᵗˣ", strict=True))
_SUB = dict(zip("0123456789+-=()aeijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ",
                strict=True))
_BB = {**{c: chr(0x1D538 + i) for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZ")},
       "R": "ℝ", "N": "ℕ", "Z": "ℤ", "Q": "ℚ", "C": "ℂ", "P": "ℙ", "H": "ℍ"}
_CAL = {"O": "𝒪", "L": "ℒ", "H": "ℋ", "F": "ℱ", "E": "ℰ", "B": "ℬ", "M": "ℳ", "R": "ℛ",
        "I": "ℐ"}
_MATH_TOKEN = re.compile(
    r"\\(?P<font>mathbb|mathcal|mathbf|mathrm|mathit|mathsf|mathtt|text|textrm|textit|"
    r"textbf|operatorname|boldsymbol|bm|mbox)\s*\{(?P<farg>[^{}]*)\}"
    r"|\\(?P<frac>[dt]?frac)\s*\{(?P<num>[^{}]*)\}\s*\{(?P<den>[^{}]*)\}"
    r"|\\sqrt\s*\{(?P<sqrt>[^{}]*)\}"
    r"|\\(?P<acc>tilde|hat|bar|vec|dot|ddot|widetilde|widehat|overline)\s*\{(?P<aarg>[^{}]*)\}"
    r"|(?P<script>[\^_])\s*(?:\{(?P<sarg>[^{}]*)\}|(?P<sch>\\[A-Za-z]+|[^\s\\{}]))"
    r"|\\(?P<cmd>[A-Za-z]+)"
    r"|\\(?P<esc>[{}%&#$_ ,;:!|])"
)
_MATH_ACCENT = {"tilde": "\u0303", "widetilde": "\u0303", "hat": "\u0302",
                "widehat": "\u0302", "bar": "\u0304", "overline": "\u0304", "vec": "\u20d7",
                "dot": "\u0307", "ddot": "\u0308"}


def _script(arg: str, table: dict[str, str], mark: str) -> str:
    arg = _math_inner(arg)
    if arg and all(c in table for c in arg):
        return "".join(table[c] for c in arg)
    mark = "\x01" if mark == "^" else "\x02"  # placeholders: not read again as scripts
    return f"{mark}{arg}" if len(arg) <= 1 else f"{mark}\x03{arg}\x04"


def _wrap(x: str) -> str:
    return x if len(x) <= 1 or x.isalnum() else f"({x})"


def _math_sub(m: re.Match[str]) -> str:
    g = m.group
    if g("font"):
        arg = _math_inner(g("farg"))
        table = _BB if g("font") == "mathbb" else _CAL if g("font") == "mathcal" else {}
        return "".join(table.get(c, c) for c in arg)
    if g("frac"):
        num, den = _math_inner(g("num")), _math_inner(g("den"))
        return f"{_wrap(num)}/{_wrap(den)}"
    if g("sqrt") is not None:
        arg = _math_inner(g("sqrt"))
        return "√" + (arg if len(arg) <= 1 or arg.isalnum() else f"({arg})")
    if g("acc"):
        arg = _math_inner(g("aarg"))
        return unicodedata.normalize("NFC", arg + _MATH_ACCENT[g("acc")]) if arg else ""
    if g("script"):
        arg = g("sarg") if g("sarg") is not None else g("sch")
        if g("script") == "^":
            return _script(arg, _SUP, "^")
        return _script(arg, _SUB, "_")
    if g("cmd"):
        return _SYMBOLS.get(g("cmd"), g("cmd"))
    if g("esc"):
        return {" ": " ", ",": "\u2009", ";": " ", ":": " ", "!": "", "|": "‖"}.get(
            g("esc"), g("esc"))
    return m.group(0)


def _math_inner(s: str) -> str:
    for _ in range(4):  # nested groups: innermost first
        new = _MATH_TOKEN.sub(_math_sub, s)
        new = re.sub(r"(?<!\\)\{([^{}]*)\}", r"\1", new)
        if new == s:
            break
        s = new
    return s.replace("{", "").replace("}", "").strip()


_PLACEHOLDERS = str.maketrans({"\x01": "^", "\x02": "_", "\x03": "(", "\x04": ")"})


def math_to_unicode(s: str) -> str:
    """`$\\mathbb{F}_q^n$` -> `𝔽_qⁿ`: one math region (delimiters optional) as plain Unicode."""
    for a, b in (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]")):
        if s.startswith(a) and s.endswith(b) and len(s) >= len(a) + len(b):
            s = s[len(a):len(s) - len(b)]
            break
    inner = " ".join(_math_inner(s).split()).translate(_PLACEHOLDERS)
    return (" " if s[:1].isspace() else "") + inner + (" " if s[-1:].isspace() else "")
