"""The small HTML pages a payer opens outside the frontend (the pay link of an e-receipt, the development card page)."""

from __future__ import annotations

from html import escape

from starlette.responses import HTMLResponse

STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}"
    "h1{font-size:1.4rem}.amount{font-size:1.8rem;font-weight:600}.muted{color:#666}"
    "button{font-size:1rem;padding:.6rem 1.2rem;margin:.3rem .3rem .3rem 0;cursor:pointer}"
    "input{font-size:1rem;padding:.4rem;width:100%;box-sizing:border-box}svg{width:14rem;height:auto}"
)


def rubles(kopecks: int) -> str:
    whole, cents = divmod(kopecks, 100)
    return f"{whole:,}".replace(",", "\u00a0") + f",{cents:02d}\u00a0₽"


def page(title: str, body: str, *, status: int = 200) -> HTMLResponse:
    """`body` is HTML the caller built with `escape`d values."""
    return HTMLResponse(
        f'<!doctype html><html lang="ru"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="robots" content="noindex"><title>{escape(title)}</title><style>{STYLE}</style></head>'
        f"<body><h1>{escape(title)}</h1>{body}</body></html>",
        status_code=status,
        headers={
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",  # the signed link must not leak to the provider's page
            "X-Frame-Options": "DENY",
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
            "form-action 'self' https:",
        },
    )


def not_found() -> HTMLResponse:
    return page("Страница не найдена", "<p>Ссылка неверна. Проверьте, что она скопирована целиком.</p>", status=404)
