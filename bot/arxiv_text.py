"""arXiv text as readers see it: one normaliser for display, matching, summaries and export.

An arXiv abstract is text with inline math, not LaTeX source. So `%` is a percent sign (never a
comment that swallows the rest), `<` and `>` are comparisons (never markup), nothing a reader
wrote is dropped, and every math span gives visible output: the macros we know become Unicode
(`\\sigma_n` → σₙ, `\\tfrac12` → ½, `\\mathbb{R}` → ℝ). Accents become letters (`Cram\\'er` →
Cramér) and text commands keep their content (`\\texttt{OPO-CMDP}` → OPO-CMDP,
`\\href{url}{text}` → text).

Authors' own macros, which arXiv's pages show raw, read as a reader would read them. Outside
math: the name without the backslash (`\\method{} wins` → method wins), or the content of
its arguments when it has any (`\\rev{new text}` → new text). In math, where a name alone
could mislead: by the conventions most papers follow when the letter is certain (`\\x` → x,
`\\cA` → 𝒜, `\\RR` → ℝ, `\\GL` → GL, see `math_shorthand`), else kept as written.

The converter is a small hand-written reader, linear in the input: one pass, each character
read once, recursion bounded by `_MAX_DEPTH` (deeper braces are read flat). pylatexenc, used
before, treated the text as LaTeX source: it cut abstracts at `%` and read `1<p ... p > q` as
HTML.
"""

from __future__ import annotations

import re
import string
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from bot.text import bounded

# Braces nested deeper than this are read flat (their content kept, the braces dropped):
# recursion stays far below Python's limit on hostile input such as 5,000 nested `{`.
_MAX_DEPTH = 60
_ASCII_LETTERS = frozenset(string.ascii_letters)


def _names(text: str) -> frozenset[str]:
    """A set of command names written as one string (the tables read better that way)."""
    return frozenset(text.split())


_GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ϵ", "varepsilon": "ε",
    "zeta": "ζ", "eta": "η", "theta": "θ", "vartheta": "ϑ", "iota": "ι", "kappa": "κ",
    "varkappa": "ϰ", "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ", "omicron": "ο", "pi": "π",
    "varpi": "ϖ", "rho": "ρ", "varrho": "ϱ", "sigma": "σ", "varsigma": "ς", "tau": "τ",
    "upsilon": "υ", "phi": "ϕ", "varphi": "φ", "chi": "χ", "psi": "ψ", "omega": "ω",
    "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ", "Pi": "Π",
    "Sigma": "Σ", "Upsilon": "Υ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω", "varGamma": "Γ",
    "varDelta": "Δ", "varTheta": "Θ", "varLambda": "Λ", "varPi": "Π", "varSigma": "Σ",
    "varPhi": "Φ", "varPsi": "Ψ", "varOmega": "Ω", "digamma": "ϝ",
}  # fmt: skip

_SYMBOLS = {
    **_GREEK,
    # relations
    "leq": "≤", "le": "≤", "geq": "≥", "ge": "≥", "leqslant": "⩽", "geqslant": "⩾",
    "neq": "≠", "ne": "≠", "approx": "≈", "sim": "∼", "simeq": "≃", "cong": "≅",
    "equiv": "≡", "propto": "∝", "ll": "≪", "gg": "≫", "lesssim": "≲", "gtrsim": "≳",
    "prec": "≺", "succ": "≻", "preceq": "⪯", "succeq": "⪰", "in": "∈", "notin": "∉",
    "ni": "∋", "subset": "⊂", "supset": "⊃", "subseteq": "⊆", "supseteq": "⊇",
    "subsetneq": "⊊", "supsetneq": "⊋", "sqsubseteq": "⊑", "perp": "⊥", "parallel": "∥",
    "mid": "∣", "nmid": "∤", "vdash": "⊢", "models": "⊨", "asymp": "≍", "doteq": "≐",
    "lt": "<", "gt": ">", "coloneqq": "≔", "triangleq": "≜", "nsim": "≁", "lessapprox": "⪅",
    "gtrapprox": "⪆", "leqq": "≦", "geqq": "≧", "lneq": "⪇", "gneq": "⪈", "succsim": "≿",
    "precsim": "≾", "vDash": "⊨", "Vdash": "⊩", "bowtie": "⋈", "smile": "⌣", "frown": "⌢",
    # operators
    "times": "×", "cdot": "·", "div": "÷", "pm": "±", "mp": "∓", "ast": "∗", "star": "⋆",
    "circ": "∘", "bullet": "•", "oplus": "⊕", "ominus": "⊖", "otimes": "⊗", "odot": "⊙",
    "oslash": "⊘", "cup": "∪", "cap": "∩", "setminus": "∖", "wedge": "∧", "land": "∧",
    "vee": "∨", "lor": "∨", "neg": "¬", "lnot": "¬", "sqcup": "⊔", "sqcap": "⊓",
    "uplus": "⊎", "wr": "≀", "dagger": "†", "ddagger": "‡", "amalg": "⨿", "diamond": "⋄",
    "bigoplus": "⨁", "bigotimes": "⨂", "bigcup": "⋃", "bigcap": "⋂", "bigvee": "⋁",
    "bigwedge": "⋀", "bigsqcup": "⨆", "sum": "∑", "prod": "∏", "coprod": "∐", "int": "∫",
    "iint": "∬", "iiint": "∭", "oint": "∮", "triangle": "△", "bigtriangleup": "△",
    "rtimes": "⋊", "ltimes": "⋉", "boxtimes": "⊠", "boxplus": "⊞", "cdotp": "·",
    # arrows
    "to": "→", "rightarrow": "→", "leftarrow": "←", "gets": "←", "leftrightarrow": "↔",
    "Rightarrow": "⇒", "Leftarrow": "⇐", "Leftrightarrow": "⇔", "implies": "⟹",
    "impliedby": "⟸", "iff": "⟺", "mapsto": "↦", "longrightarrow": "⟶",
    "longleftarrow": "⟵", "Longrightarrow": "⟹", "Longleftarrow": "⟸",
    "longleftrightarrow": "⟷", "Longleftrightarrow": "⟺", "longmapsto": "⟼",
    "uparrow": "↑", "downarrow": "↓", "Uparrow": "⇑", "Downarrow": "⇓", "updownarrow": "↕",
    "nearrow": "↗", "searrow": "↘", "swarrow": "↙", "nwarrow": "↖", "hookrightarrow": "↪",
    "hookleftarrow": "↩", "rightharpoonup": "⇀", "leftharpoonup": "↼",
    "rightleftharpoons": "⇌", "leftrightarrows": "⇆", "rightrightarrows": "⇉",
    "twoheadrightarrow": "↠", "xrightarrow": "→", "leadsto": "⇝", "curvearrowright": "↷",
    # misc
    "infty": "∞", "partial": "∂", "nabla": "∇", "forall": "∀", "exists": "∃",
    "nexists": "∄", "emptyset": "∅", "varnothing": "∅", "hbar": "ℏ", "hslash": "ℏ",
    "ell": "ℓ", "wp": "℘", "Re": "ℜ", "Im": "ℑ", "aleph": "ℵ", "beth": "ℶ", "angle": "∠",
    "prime": "′", "top": "⊤", "bot": "⊥", "surd": "√", "flat": "♭", "sharp": "♯",
    "natural": "♮", "clubsuit": "♣", "spadesuit": "♠", "heartsuit": "♡", "diamondsuit": "♢",
    "checkmark": "✓", "square": "□", "Box": "□", "blacksquare": "■", "lozenge": "◊",
    "imath": "ı", "jmath": "ȷ", "mho": "℧", "Finv": "Ⅎ", "complement": "∁", "eth": "ð",
    "ldots": "…", "dots": "…", "cdots": "⋯", "vdots": "⋮", "ddots": "⋱", "dotsc": "…",
    "dotsb": "⋯", "dotsm": "⋯", "colon": ":", "vert": "|", "Vert": "‖", "lvert": "|",
    "rvert": "|", "lVert": "‖", "rVert": "‖", "langle": "⟨", "rangle": "⟩", "lceil": "⌈",
    "rceil": "⌉", "lfloor": "⌊", "rfloor": "⌋", "lbrace": "{", "rbrace": "}", "lbrack": "[",
    "rbrack": "]", "backslash": "\\", "degree": "°", "circledast": "⊛", "sphericalangle": "∢",
    "measuredangle": "∡", "therefore": "∴", "because": "∵", "S": "§", "P": "¶", "dag": "†",
    "ddag": "‡", "copyright": "©", "pounds": "£", "euro": "€", "textdegree": "°",
    "textmu": "µ", "textendash": "–", "textemdash": "—", "textasciitilde": "~",
    "textbackslash": "\\", "textless": "<", "textgreater": ">", "textbar": "|",
    "textbullet": "•", "textregistered": "®", "texttrademark": "™", "textperiodcentered": "·",
    "textquotedblleft": "“", "textquotedblright": "”", "textquoteleft": "‘",
    "textquoteright": "’", "textasciicircum": "^", "textunderscore": "_", "textdollar": "$",
    "LaTeX": "LaTeX", "TeX": "TeX", "BibTeX": "BibTeX", "AA": "Å", "aa": "å", "i": "ı",
    "j": "ȷ", "l": "ł", "L": "Ł", "o": "ø", "O": "Ø", "ss": "ß", "ae": "æ", "AE": "Æ",
    "oe": "œ", "OE": "Œ", "dh": "ð", "DH": "Ð", "th": "þ", "TH": "Þ", "ng": "ŋ", "NG": "Ŋ",
    "Bbbk": "𝕜", "R": "ℝ", "N": "ℕ", "Z": "ℤ", "Q": "ℚ", "ie": "i.e.", "eg": "e.g.",
    "etal": "et al.", "vs": "vs.", "textrightarrow": "→", "textleftarrow": "←",
    "percent": "%", "celsius": "°C", "degreeCelsius": "°C", "milli": "m", "micro": "µ",
    "item": "•", "over": "/", "Tilde": "~",
    # Authors' shorthands common enough to read without their definition.
    "eps": "ε", "ep": "ε", "epsi": "ε", "veps": "ε", "vareps": "ε", "varep": "ε",
    "epsln": "ε", "lam": "λ", "lamb": "λ", "Nu": "Ν", "multimap": "⊸", "bigO": "O",
    "choose": " choose ",
    # siunitx units, as arXiv's own pages leave them: `\SI{3}{\giga\hertz}` → 3 GHz.
    "hertz": "Hz", "meter": "m", "metre": "m", "second": "s", "gram": "g", "watt": "W",
    "volt": "V", "ampere": "A", "kelvin": "K", "joule": "J", "tesla": "T", "newton": "N",
    "pascal": "Pa", "ohm": "Ω", "farad": "F", "henry": "H", "coulomb": "C", "mole": "mol",
    "candela": "cd", "becquerel": "Bq", "electronvolt": "eV", "decibel": "dB", "bel": "B",
    "liter": "L", "litre": "L", "minute": "min", "hour": "h", "day": "d", "radian": "rad",
    "steradian": "sr", "siemens": "S", "weber": "Wb", "gauss": "G", "angstrom": "Å",
    "dalton": "Da", "barn": "b", "tera": "T", "giga": "G", "mega": "M",
    "kilo": "k", "centi": "c", "nano": "n", "pico": "p", "femto": "f", "atto": "a",
    "per": "/", "squared": "²", "cubed": "³", "db": "dB", "ph": "φ",
    "Diamond": "◇", "bigstar": "★", "circlearrowright": "↻", "circlearrowleft": "↺",
    "nrightarrow": "↛", "nleftarrow": "↚", "lrcorner": "⌟", "llcorner": "⌞", "backsimeq": "⋍",
    "upxi": "ξ", "upmu": "μ", "uppi": "π", "upalpha": "α", "upbeta": "β", "upgamma": "γ",
    "updelta": "δ", "upepsilon": "ε", "upeta": "η", "uptau": "τ", "upsigma": "σ",
    "upphi": "ϕ", "upomega": "ω", "upvarepsilon": "ε", "uplambda": "λ", "uprho": "ρ",
    "quad": " ", "qquad": " ", "enspace": " ", "thinspace": " ", "medspace": " ",
    "thickspace": " ", "space": " ", "newline": " ", "par": " ", "cr": " ", "nobreakspace": " ",
}  # fmt: skip

# Function names: printed upright and followed by their argument, so the space after them stays.
_FUNCTIONS = _names(
    "sin cos tan cot sec csc sinh cosh tanh coth arcsin arccos arctan log ln lg exp det dim "
    "ker hom deg arg max min sup inf lim liminf limsup Pr gcd lcm tr Tr mod bmod pmod sgn "
    "rank span diag"
)

# Commands that change the font or size of what follows: no output of their own.
_DECLARATIONS = _names(
    "displaystyle textstyle scriptstyle scriptscriptstyle rm bf it sf tt sc em sl up md "
    "normalfont bfseries itshape ttfamily sffamily rmfamily upshape mdseries scshape small "
    "large Large LARGE huge Huge tiny scriptsize footnotesize normalsize noindent limits "
    "nolimits left right middle big Big bigg Bigg bigl bigr Bigl Bigr biggl biggr Biggl Biggr "
    "bigm Bigm relax protect centering raggedright hfill vfill nonumber notag boldmath "
    "unboldmath ensuremath medskip bigskip smallskip newpage clearpage linebreak pagebreak "
    "footnotemark hline"
)

# Commands whose one argument is shown as its content: a font, a box, an emphasis.
_CONTENT = _names(
    "textbf textit emph texttt textsf textrm textsc textsl textup textnormal textmd uline "
    "mbox hbox fbox text mathrm mathbf mathit mathsf mathtt mathnormal boldsymbol bm pmb "
    "operatorname mathop mathbin mathrel mathord footnote thanks ref eqref autoref cref Cref "
    "smash underbrace overbrace boxed substack num si unit ac acs acl gls glspl Gls mathsc"
)
# Letters written as commands: TeX ends them at the space after, which is not a word break
# (`Bj\\o rn` is Bjørn).
_LETTERS = _names("i j l L o O ss ae AE oe OE aa AA dh DH th TH ng NG")

# Commands whose argument is bookkeeping, not text a reader wrote.
_DROP_ARGUMENT = _names(
    "label cite citep citet citealp nocite vspace hspace bibliography bibliographystyle "
    "pagestyle thispagestyle setlength addtolength vskip hskip phantom hphantom vphantom "
    "includegraphics stepcounter refstepcounter"
)

_TEXT_ACCENTS = {
    "'": "\u0301", "`": "\u0300", "^": "\u0302", '"': "\u0308", "~": "\u0303", "=": "\u0304",
    ".": "\u0307", "u": "\u0306", "v": "\u030c", "H": "\u030b", "c": "\u0327", "k": "\u0328",
    "r": "\u030a", "d": "\u0323", "b": "\u0331", "t": "\u0361",
}  # fmt: skip
_SPACING_ACCENTS = {"\u0303": "~", "\u0302": "^", "\u0301": "´", "\u0300": "`", "\u0308": "¨"}
_MATH_ACCENTS = {
    "hat": "\u0302", "widehat": "\u0302", "bar": "\u0304", "overline": "\u0305",
    "tilde": "\u0303", "widetilde": "\u0303", "vec": "\u20d7", "overrightarrow": "\u20d7",
    "dot": "\u0307", "ddot": "\u0308", "dddot": "\u20db", "check": "\u030c",
    "breve": "\u0306", "acute": "\u0301", "grave": "\u0300", "mathring": "\u030a",
    "underline": "\u0332",
}  # fmt: skip

_SUPER = dict(
    zip(
        "0123456789+-=()nijkmTtaebcdxyzhlprsuvwofgABDEGHIJKLMNOPRUVW′*†∗∘‡⊤'",
        "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱʲᵏᵐᵀᵗᵃᵉᵇᶜᵈˣʸᶻʰˡᵖʳˢᵘᵛʷᵒᶠᵍᴬᴮᴰᴱᴳᴴᴵᴶᴷᴸᴹᴺᴼᴾᴿᵁⱽᵂ′*†*°‡ᵀ′",
        strict=True,
    )
)
_SUB = dict(
    zip(
        "0123456789+-=()aeoxijklmnprstuvhβγρφχ",
        "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₒₓᵢⱼₖₗₘₙₚᵣₛₜᵤᵥₕᵦᵧᵨᵩᵪ",
        strict=True,
    )
)
_FRACTIONS = {
    ("1", "2"): "½", ("1", "3"): "⅓", ("2", "3"): "⅔", ("1", "4"): "¼", ("3", "4"): "¾",
    ("1", "5"): "⅕", ("2", "5"): "⅖", ("3", "5"): "⅗", ("4", "5"): "⅘", ("1", "6"): "⅙",
    ("5", "6"): "⅚", ("1", "8"): "⅛", ("3", "8"): "⅜", ("5", "8"): "⅝", ("7", "8"): "⅞",
    ("1", "7"): "⅐", ("1", "9"): "⅑", ("1", "10"): "⅒",
}  # fmt: skip


def _alphabet(first_upper: int, first_lower: int | None, holes: dict[str, str]) -> dict[str, str]:
    """A mathematical alphabet of Unicode's block at 1D400, with the letters it left in the
    Letterlike Symbols block (ℝ, ℬ, ℭ ...) at their old places."""
    table: dict[str, str] = {}
    for offset in range(26):
        upper, lower = chr(ord("A") + offset), chr(ord("a") + offset)
        table[upper] = chr(first_upper + offset)
        if first_lower is not None:
            table[lower] = chr(first_lower + offset)
    table.update(holes)
    return table


_BLACKBOARD = {
    **_alphabet(0x1D538, 0x1D552, {}),
    **dict(zip("CHNPQRZ", "ℂℍℕℙℚℝℤ", strict=True)),
    **{str(d): chr(0x1D7D8 + d) for d in range(10)},
}
_CALLIGRAPHIC = _alphabet(0x1D49C, 0x1D4B6, dict(zip("BEFHILMRego", "ℬℰℱℋℐℒℳℛℯℊℴ", strict=True)))
_FRAKTUR = _alphabet(0x1D504, 0x1D51E, dict(zip("CHIRZ", "ℭℌℑℜℨ", strict=True)))
_ALPHABETS = {
    "mathbb": _BLACKBOARD,
    "Bbb": _BLACKBOARD,
    "mathds": _BLACKBOARD,
    "mathbbm": _BLACKBOARD,
    "cal": _CALLIGRAPHIC,
    "mathcal": _CALLIGRAPHIC,
    "mathscr": _CALLIGRAPHIC,
    "mathfrak": _FRAKTUR,
    "EuScript": _CALLIGRAPHIC,
    "mcal": _CALLIGRAPHIC,
    "mc": _CALLIGRAPHIC,
}
_BOLD = _alphabet(0x1D400, 0x1D41A, {})

# An author's own macro in math, read by the conventions most papers follow (`\\cA` is 𝒜,
# `\\RR` is ℝ, `\\bx` is 𝐱): the letter is certain, only the font is a guess, and a guessed
# font reads better than a backslash. Prefix → alphabet; longer prefixes first.
_SHORTHAND_PREFIXES = (
    ("mathcal", _CALLIGRAPHIC), ("mcal", _CALLIGRAPHIC), ("cal", _CALLIGRAPHIC),
    ("mc", _CALLIGRAPHIC), ("c", _CALLIGRAPHIC), ("scr", _CALLIGRAPHIC),
    ("mbb", _BLACKBOARD), ("bb", _BLACKBOARD), ("mbf", _BOLD), ("bf", _BOLD), ("bm", _BOLD),
    ("mb", _BOLD), ("b", _BOLD), ("frak", _FRAKTUR), ("fk", _FRAKTUR), ("mf", _FRAKTUR),
)  # fmt: skip
# `\\RR`, `\\ZZ`: a doubled capital is the blackboard letter for these sets and operators.
_DOUBLED_BLACKBOARD = frozenset("ACEFHKNPQRSTZ")
# Operator names written as macros (`\\Var`, `\\supp`): shown upright as their name.
_OPERATORS = _names(
    "Var Cov Prob Irr Per perm poly polylog supp dist diam vol sign erf erfc argmax argmin "
    "Ker Hom End Aut Gal Spec Proj Ext Tor Lip conv Id id Span Sym Stab Orb Mat Res Ind "
    "Vol Regret Emb Gr Weyl softmax ReLU relu sigmoid KL TV Unif Bern Poi"
)
# pifont's `\\ding{51}`: the marks papers use in tables and lists.
_DINGBATS = {
    "51": "✓", "52": "✔", "55": "✗", "56": "✘", "72": "★", "73": "☆", "108": "●",
    # 172-211: the circled numbers ① to ⑩, ❶ to ❿, ➀ to ➉, ➊ to ➓.
    **{str(172 + n): chr(0x2460 + n) for n in range(10)},
    **{str(182 + n): chr(0x2776 + n) for n in range(30)},
}  # fmt: skip
_ROMAN = (
    (1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"),
    (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"),
)  # fmt: skip


def math_shorthand(name: str) -> str | None:
    """An unknown macro in math read by convention, or None when no reading is safe.

    A single letter (`\\x`, `\\B`) is that letter, `\\C` the complex numbers as `\\R` is ℝ;
    a letter after a font prefix (`\\cA`, `\\bv`, `\\bbR`) is that letter in that font; a
    doubled capital of a number set (`\\RR`) is its blackboard letter; an all-capital name
    (`\\GL`, `\\OPT`) or a known operator (`\\Var`) is its name, upright.
    """
    if len(name) == 1:
        return _BLACKBOARD["C"] if name == "C" else name
    if len(name) == 2 and name[0] == name[1] and name[0] in _DOUBLED_BLACKBOARD:
        return _BLACKBOARD[name[0]]
    for prefix, alphabet in _SHORTHAND_PREFIXES:
        if len(name) == len(prefix) + 1 and name.startswith(prefix):
            letter = name[-1]
            if prefix in ("c", "mc", "cal", "mcal", "scr", "mathcal") and letter.islower():
                return None  # `\\ca`, `\\mcb`: not a calligraphic capital; no safe reading
            return alphabet.get(letter)
    if name in _OPERATORS or (name.isupper() and len(name) <= 6):
        return name
    return None


def _roman(number: int) -> str:
    """`\\romannumeral 4` → iv (lower case, as TeX writes it); 0 or less is nothing."""
    out = []
    for value, letters in _ROMAN:
        while number >= value:
            out.append(letters)
            number -= value
    return "".join(out)


@dataclass(frozen=True)
class Span:
    """One piece of an abstract: text, or a math span with its delimiters (`source`)."""

    math: bool
    body: str
    source: str
    display: bool = False


# What can start or hide a math delimiter: an escaped character (so `\$` is a dollar sign),
# `\(`, `\[`, `$$` and `$`. Searching for these jumps over plain text in C.
_DELIMITER = re.compile(r"\\[(\[]|\\.|\$\$?", re.DOTALL)


def spans(raw: str) -> list[Span]:
    """The text and math spans of `raw`, in order; an unclosed delimiter is plain text.

    Linear: a closing delimiter searched once and not found is never searched for again.
    """
    pieces: list[Span] = []
    unclosed: set[str] = set()
    text_start = 0
    position = 0
    while (found := _DELIMITER.search(raw, position)) is not None:
        token = found.group()
        opening = found.start()
        closer = {"\\(": "\\)", "\\[": "\\]", "$$": "$$", "$": "$"}.get(token)
        if closer is None or closer in unclosed:
            position = found.end()
            continue
        closing = raw.find(closer, found.end())
        while closer == "$" and closing > 0 and raw[closing - 1] == "\\":
            closing = raw.find(closer, closing + 1)  # `\$` inside math is a dollar sign
        if closing < 0 or closing == found.end():
            if closing < 0:
                unclosed.add(closer)
            position = found.end()
            continue
        if opening > text_start:
            pieces.append(Span(False, raw[text_start:opening], raw[text_start:opening]))
        end = closing + len(closer)
        pieces.append(
            Span(True, raw[found.end() : closing], raw[opening:end], token in ("$$", "\\["))
        )
        text_start = position = end
    if text_start < len(raw):
        pieces.append(Span(False, raw[text_start:], raw[text_start:]))
    return pieces


def _script(marker: str, body: str) -> str:
    """`^2` → ², `_n` → ₙ; a body without Unicode scripts keeps its marker: `_B`, `^(ab)`."""
    table = _SUPER if marker == "^" else _SUB
    stripped = body.strip()
    if not stripped:
        return ""
    if all(ch in table for ch in stripped):
        return "".join(table[ch] for ch in stripped)
    if len(stripped) == 1:
        return marker + stripped
    return f"{marker}({stripped})"


def _accent(body: str, mark: str) -> str:
    """The accent on the first letter of `body` (`\\'{e}` → é, `\\'\\i` → í)."""
    if not body:  # `\~{}` in a URL is a tilde
        return _SPACING_ACCENTS.get(mark, "")
    first = {"ı": "i", "ȷ": "j"}.get(body[0], body[0])
    return unicodedata.normalize("NFC", first + mark + body[1:])


def _fraction(numerator: str, denominator: str) -> str:
    vulgar = _FRACTIONS.get((numerator.strip(), denominator.strip()))
    if vulgar:
        return vulgar

    def part(text: str) -> str:
        text = text.strip()
        return text if len(text) <= 1 or text.isalnum() else f"({text})"

    return f"{part(numerator)}/{part(denominator)}"


def _unicode(code: str) -> str:
    """`x2014` or `8212` as its character; a control, surrogate or unassigned code point (which
    could not be encoded, or would reorder the text around it) stays as written."""
    written = f"\\unicode{{{code}}}"
    code = code.strip()
    try:
        char = chr(int(code[1:], 16) if code[:1] in "xX" else int(code))
    except (ValueError, OverflowError):
        return written
    return written if unicodedata.category(char).startswith("C") else char


class _Reader:
    """One pass over a span's source, writing what a reader should see."""

    def __init__(self, source: str, math: bool) -> None:
        self.src = source
        self.pos = 0
        self.math = math

    def run(self) -> str:
        return self.group(depth=0, closed=False)

    def group(self, depth: int, closed: bool) -> str:
        """Convert up to the `}` closing this group (or the end); braces nested past
        `_MAX_DEPTH` are read flat."""
        out: list[str] = []
        src, flat = self.src, 0
        while self.pos < len(src):
            ch = src[self.pos]
            if ch == "}":
                self.pos += 1
                if flat:
                    flat -= 1
                    continue
                if closed:
                    return "".join(out)
                continue  # a stray `}` closes nothing
            if ch == "{":
                self.pos += 1
                if depth < _MAX_DEPTH:
                    out.append(self.group(depth + 1, closed=True))
                else:
                    flat += 1
            elif ch == "\\":
                out.append(self.command(depth))
            elif self.math and ch in "^_":
                self.pos += 1
                out.append(_script(ch, self.argument(depth)))
            elif self.math and ch == "'":
                self.pos += 1
                out.append("′")
            elif self.math and ch in "&~":
                self.pos += 1
                out.append(" ")
            elif not self.math and ch == "~":
                self.pos += 1
                out.append(self.tilde())
            elif not self.math and ch in "-`'":
                out.append(self.punctuation(ch))
            else:
                self.pos += 1
                out.append(ch)
        return "".join(out)

    def tilde(self) -> str:
        """`Fig.~3` is a tie (a space); `~10%` or `/~user` is what the author typed."""
        before = self.src[self.pos - 2] if self.pos >= 2 else " "
        after = self.src[self.pos] if self.pos < len(self.src) else " "
        if (before.isalnum() or before in ".,;:)") and (after.isalnum() or after == "\\"):
            return " "
        return "~"

    def punctuation(self, ch: str) -> str:
        """TeX's dashes and quotes, except where the author meant the characters: an arrow
        (`-->`) or a command-line option (` --verbose`)."""
        src = self.src
        for token, output in (("---", "—"), ("--", "–"), ("``", "“"), ("''", "”")):
            if src.startswith(token, self.pos):
                end = self.pos + len(token)
                after = src[end : end + 1]
                before = src[self.pos - 1 : self.pos] if self.pos else " "
                if token[0] == "-" and (after == ">" or (before.isspace() and after.isalpha())):
                    break
                self.pos = end
                return output
        self.pos += 1
        return ch

    def skip_spaces(self) -> None:
        while self.pos < len(self.src) and self.src[self.pos] in " \t\n\r":
            self.pos += 1

    def argument(self, depth: int) -> str:
        """The next argument, converted: a `{group}`, a command, or one character."""
        self.skip_spaces()
        if self.pos >= len(self.src):
            return ""
        ch = self.src[self.pos]
        if ch == "{":
            if depth >= _MAX_DEPTH:
                return ""  # the group is read flat by the caller's loop
            self.pos += 1
            return self.group(depth + 1, closed=True)
        if ch == "\\":
            return self.command(depth)
        if ch == "}":
            return ""
        self.pos += 1
        return ch

    def raw_argument(self) -> str | None:
        """A `{...}` argument as written (a URL: `~`, `_` and `%` are part of it)."""
        self.skip_spaces()
        if not self.src.startswith("{", self.pos):
            return None
        end = self.src.find("}", self.pos)
        if end < 0:
            return None
        body = self.src[self.pos + 1 : end]
        self.pos = end + 1
        return body

    def optional(self) -> str | None:
        """A `[...]` optional argument, as written."""
        if not self.src.startswith("[", self.pos):
            return None
        end = self.src.find("]", self.pos)
        if end < 0:
            return None
        body = self.src[self.pos + 1 : end]
        self.pos = end + 1
        return body

    def command(self, depth: int) -> str:
        src = self.src
        start = self.pos
        self.pos += 1  # the backslash
        if self.pos >= len(src):
            return "\\"
        ch = src[self.pos]
        # Command names are ASCII letters: in `\partialΩ` (arXiv's API turns some macros into
        # Unicode) the command ends before the Ω.
        if ch not in _ASCII_LETTERS:
            self.pos += 1
            return self.symbol_command(ch, depth)
        end = self.pos
        while end < len(src) and src[end] in _ASCII_LETTERS:
            end += 1
        name = src[self.pos : end]
        self.pos = end
        if self.pos < len(src) and src[self.pos] == "*":
            self.pos += 1
        if name == "verb" and (verbatim := self.verbatim()) is not None:
            return verbatim
        converted = self.named(name, depth)
        if converted is not None:
            return converted
        if not self.math:
            return self.unknown_in_text(name, depth)
        reading = math_shorthand(name)
        if reading is not None:
            return reading
        # Unknown in math: kept as written, with its braced arguments (their content converted).
        out = [src[start : self.pos]]
        while self.pos < len(src) and src[self.pos] == "{" and depth < _MAX_DEPTH:
            self.pos += 1
            out.append("{" + self.group(depth + 1, closed=True) + "}")
        return "".join(out)

    def verbatim(self) -> str | None:
        """`\\verb|x|`, `\\verb+x+`: the text between the delimiters, exactly as typed."""
        delimiter = self.src[self.pos : self.pos + 1]
        if not delimiter or delimiter.isalpha() or delimiter.isspace():
            return None
        end = self.src.find(delimiter, self.pos + 1)
        if end < 0:
            return None
        body = self.src[self.pos + 1 : end]
        self.pos = end + 1
        return body

    def unknown_in_text(self, name: str, depth: int) -> str:
        """An author's own macro outside math, which arXiv's pages show raw (`\\method`): the
        content of its arguments when it has any (`\\rev{new text}` → new text), else its name
        without the backslash (`\\method{} wins` → method wins), the word the author chose."""
        contents = []
        while self.pos < len(self.src) and self.src[self.pos] == "{" and depth < _MAX_DEPTH:
            self.pos += 1
            contents.append(self.group(depth + 1, closed=True))
        return " ".join(content for content in contents if content.strip()) or name

    def number(self) -> int | None:
        """A TeX number after `\\char` or `\\romannumeral`: `92`, `"5C` (hex), `'134` (octal)."""
        self.skip_spaces()
        base = {'"': 16, "'": 8}.get(self.src[self.pos : self.pos + 1], 10)
        start = self.pos + (base != 10)
        end = start
        digits = string.hexdigits if base == 16 else string.digits[:base]
        while end < len(self.src) and self.src[end] in digits and end - start < 8:
            end += 1
        if end == start:
            return None
        self.pos = end
        return int(self.src[start:end], base)

    def symbol_command(self, ch: str, depth: int) -> str:
        """`\\%`, `\\{`, `\\,`, `\\\\`, and the text accents `\\'e`, `\\"o`."""
        if ch in _TEXT_ACCENTS:
            return _accent(self.argument(depth), _TEXT_ACCENTS[ch])
        if ch in "%$&#_{}":
            return ch
        if ch in ",;: ":
            return " "
        if ch == "-":  # a discretionary hyphen, written where the author wants a hyphen
            return "-"
        if ch in "<>":  # a medium space in math; in text, an author escaping a comparison
            return " " if self.math else ch
        if ch in "!/":
            return ""
        if ch == "\\":
            return " "
        if ch == "|":
            return "‖"
        if ch in "\n\t\r":
            return " "
        return "\\" + ch

    def named(self, name: str, depth: int) -> str | None:
        """A known command's output, reading its arguments; None for an unknown one."""
        if name in _TEXT_ACCENTS and not self.math:  # `\v{c}`, `\c c`, `\u{g}`
            return _accent(self.argument(depth), _TEXT_ACCENTS[name])
        if name in _FUNCTIONS:
            return name
        if name == "backslash" and self.math:
            # The quotient `K\\backslash G`: the operator, not a character that would read
            # as a command (`\\G`).
            self.skip_spaces()
            return "⧵"
        if name in _SYMBOLS:
            if self.math or name in _LETTERS:
                self.skip_spaces()
            return _SYMBOLS[name]
        if name in _DECLARATIONS:
            if name in ("left", "right", "middle") or name.startswith(("big", "Big")):
                self.skip_spaces()
                if self.src.startswith(".", self.pos):
                    self.pos += 1  # `\right.`: an invisible delimiter
            return ""
        if name in _ALPHABETS:
            body = self.argument(depth)
            table = _ALPHABETS[name]
            return "".join(table.get(ch, ch) for ch in body)
        # Outside math too: an author who forgot the `$` around `\hat{x}` still means x̂.
        if name in _MATH_ACCENTS:
            body = self.argument(depth)
            if len(body) == 1:
                return unicodedata.normalize("NFC", body + _MATH_ACCENTS[name])
            return body
        if name in ("frac", "tfrac", "dfrac", "cfrac", "nicefrac", "sfrac"):
            return _fraction(self.argument(depth), self.argument(depth))
        if name in ("binom", "tbinom", "dbinom"):
            top, bottom = self.argument(depth), self.argument(depth)
            return f"C({top},{bottom})"
        if name == "sqrt":
            index = self.optional()
            body = self.argument(depth)
            root = {"3": "∛", "4": "∜"}.get((index or "").strip(), "√")
            if index and root == "√":
                root = _script("^", index or "") + "√"
            return root + (body if len(body) <= 1 or body.isalnum() else f"({body})")
        if name in ("ket", "bra", "braket", "Ket", "Bra", "Braket"):
            body = self.argument(depth)
            return {"ket": f"|{body}⟩", "bra": f"⟨{body}|"}.get(name.lower(), f"⟨{body}⟩")
        if name in ("norm", "abs"):
            body = self.argument(depth)
            return f"‖{body}‖" if name == "norm" else f"|{body}|"
        if name == "not":
            body = self.argument(depth)
            return unicodedata.normalize("NFC", body + "\u0338") if body else ""
        if name == "href":
            self.raw_argument()
            return self.argument(depth)
        if name in ("url", "path"):
            return self.raw_argument() or ""
        if name in ("textcolor", "color"):
            self.raw_argument()
            return self.argument(depth) if name == "textcolor" else ""
        if name in ("overset", "stackrel", "underset"):
            self.argument(depth)
            return self.argument(depth)
        if name in ("textsuperscript", "textsubscript"):
            return _script("^" if name == "textsuperscript" else "_", self.text_argument(depth))
        if name == "unicode":  # MathJax's `\unicode{x2014}`: the character itself
            return _unicode(self.raw_argument() or "")
        if name == "tag":
            return f"({self.text_argument(depth)})"
        if name == "hyperlink":
            self.raw_argument()
            return self.argument(depth)
        if name in ("SI", "qty"):  # siunitx: `\SI{3}{GHz}`, `\qty{3}{\giga\hertz}`
            return f"{self.argument(depth)} {self.argument(depth)}"
        if name == "enquote":
            return f"“{self.text_argument(depth)}”"
        if name == "ding":
            code = (self.raw_argument() or "").strip()
            return _DINGBATS.get(code, f"\\ding{{{code}}}")
        if name in ("char", "romannumeral"):
            start = self.pos
            number = self.number()
            if number is None:
                self.pos = start
                return None
            if name == "romannumeral":
                return _roman(number)
            return _unicode(str(number)).replace("\\unicode", "\\char", 1)
        if name in ("begin", "end"):
            self.raw_argument()
            return " "
        if name in _DROP_ARGUMENT:
            self.optional()
            self.raw_argument()
            return ""
        if name in _CONTENT:
            if name.startswith("text") or name in ("mbox", "hbox", "emph", "footnote"):
                return self.text_argument(depth)
            return self.argument(depth)
        return None

    def text_argument(self, depth: int) -> str:
        """`\\text{...}` inside math reads its argument as text (`~` is a tie, `-` a hyphen)."""
        was_math, self.math = self.math, False
        try:
            return self.argument(depth)
        finally:
            self.math = was_math


def _tidy(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = re.sub(r"[ \t\r\f\v]+", " ", text)
    return re.sub(r" *\n *", "\n", text).strip()


def convert_text(source: str) -> str:
    """Text outside math as a reader sees it: accents as letters, commands' content kept."""
    return _Reader(source, math=False).run()


def convert_math(body: str) -> str:
    """A math span's body as Unicode; never empty for a body with anything visible in it."""
    converted = _tidy(_Reader(body, math=True).run())
    return converted or body.strip()


@lru_cache(maxsize=16384)
def display_text(raw: str) -> str:
    """What a reader sees: accents as letters, math as Unicode, every word kept.

    Cached: the push renders the same paper for every chat that gets it. Text past
    `UNTRUSTED_TEXT_LIMIT` is cut first (linear anyway, but bounded work per message).
    """
    raw = bounded(raw)
    if not any(ch in raw for ch in "\\$^_{}~-`'"):
        return raw.strip() or raw
    parts = [convert_math(s.body) if s.math else convert_text(s.body) for s in spans(raw)]
    return _tidy("".join(parts)) or raw.strip() or raw


def plain_text(raw: str) -> str:
    """One line of display text, for matching and summaries (whitespace collapsed)."""
    return " ".join(display_text(raw).split())


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~#&$!])")


def escape_markdown(text: str) -> str:
    """Text Markdown shows as written: links, images, HTML and emphasis made inert."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def markdown_math(span: Span) -> str:
    """A math span as `$…$` for Markdown readers that render math, made inert for those that
    do not: `<` and `>` become `\\lt`/`\\gt` (no HTML), brackets before `(` become
    `\\lbrack`/`\\rbrack` (no link), `$` inside never ends the span early."""
    body = " ".join(span.body.split())
    body = body.replace("<", "\\lt ").replace(">", "\\gt ")
    if "](" in body:
        body = body.replace("[", "\\lbrack ").replace("]", "\\rbrack ")
    fence = "$$" if span.display else "$"
    return f"{fence}{body}{fence}"


@lru_cache(maxsize=4096)
def markdown_text(raw: str) -> str:
    """Feed text for the Markdown export: accents as letters, math kept as `$…$`, everything
    else escaped so a title or abstract cannot inject links, images or HTML."""
    raw = bounded(raw)
    parts = [
        markdown_math(s) if s.math else escape_markdown(convert_text(s.body)) for s in spans(raw)
    ]
    return _tidy("".join(parts))
