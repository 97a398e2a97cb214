"""Small pieces of English that messages share."""

from __future__ import annotations

__all__ = ["counted", "with_article"]


def counted(n: int, noun: str) -> str:
    """`n` and `noun`, plural unless n is 1: '1 sample', '3 samples'.

    Parameters
    ----------
    n : int
        The count.
    noun : str
        The singular noun (plural by an added 's').
    """
    return f"{n} {noun}{'' if n == 1 else 's'}"


def with_article(name: str) -> str:
    """`name` after its indefinite article by its first letter: 'an AutoEncoder', 'a ConvAutoEncoder'.

    Parameters
    ----------
    name : str
        A class or other name.
    """
    return f"{'an' if name[:1].upper() in 'AEIOU' else 'a'} {name}"
