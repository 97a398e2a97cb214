"""Small pieces of English that messages share."""

from __future__ import annotations

__all__ = ["with_article"]


def with_article(name: str) -> str:
    """`name` after its indefinite article by its first letter: 'an AutoEncoder', 'a ConvAutoEncoder'.

    Parameters
    ----------
    name : str
        A class or other name.
    """
    return f"{'an' if name[:1].upper() in 'AEIOU' else 'a'} {name}"
