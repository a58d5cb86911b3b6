"""What MC's error codes on a failed order (Błąd) mean, and who has to act.

The codes are those MC sends with BLAD (MC-API.md) and those the gateway records when MC
refuses an order outright (its 400 error code, upper-cased, or REJECTED). An unknown code
gets a generic line: MC's own message beside it still says what happened.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Who(str, Enum):
    OFFICE = "OFFICE"
    STUDENT = "STUDENT"
    MC = "MC"

    @property
    def label(self) -> str:
        return {"OFFICE": "dziekanat", "STUDENT": "student", "MC": "obsługa systemu MC"}[self.value]


@dataclass(frozen=True)
class McErrorCode:
    meaning: str
    who: Who
    fix: str  # what that one does, before the student orders again


MC_ERROR_CODES: dict[str, McErrorCode] = {
    "PESEL_MISMATCH": McErrorCode(
        "dane osobowe (imię, nazwisko, data urodzenia) niezgodne z rejestrem PESEL", Who.OFFICE,
        "popraw dane osobowe studenta zgodnie z jego dowodem tożsamości"),
    "PERSON_NOT_FOUND": McErrorCode(
        "osoby o tym numerze PESEL nie ma w rejestrze PESEL", Who.OFFICE,
        "sprawdź numer PESEL z dowodem tożsamości i popraw go; jeśli jest zgodny, student "
        "wyjaśnia swój wpis w rejestrze PESEL w urzędzie gminy"),
    "PHOTO_REJECTED": McErrorCode(
        "zdjęcie nie spełnia wymagań dokumentu", Who.STUDENT,
        "dostarcza nowe zdjęcie do legitymacji, a dziekanat wymienia je w systemie"),
    "DUPLICATE_ACTIVE_CARD": McErrorCode(
        "system MC ma już aktywną mLegitymację tej osoby z tej uczelni", Who.OFFICE,
        "sprawdź historię: odebraną mLegitymację student musi najpierw anulować; jeśli tu żadnej "
        "nie ma, zgłoś rozbieżność obsłudze systemu MC"),
    "PARAM_INVALID": McErrorCode(
        "system MC odrzucił dane zamówienia (pole wskazane w komunikacie)", Who.OFFICE,
        "popraw to pole w danych studenta"),
    "PARAM_MISSING": McErrorCode(
        "w zamówieniu zabrakło danych, których wymaga system MC (pole wskazane w komunikacie)",
        Who.OFFICE, "uzupełnij to pole w danych studenta"),
    "REJECTED": McErrorCode(
        "system MC odrzucił zamówienie bez podania kodu", Who.MC,
        "przeczytaj komunikat MC; jeśli nie mówi, co poprawić, zgłoś numer zamówienia obsłudze systemu MC"),
    "BLAD": McErrorCode(
        "system MC zakończył przetwarzanie błędem bez podania kodu", Who.MC,
        "przeczytaj komunikat MC; jeśli nie mówi, co poprawić, zgłoś numer zamówienia obsłudze systemu MC"),
}

UNKNOWN = McErrorCode(
    "kod nieznany tej aplikacji", Who.MC,
    "przeczytaj komunikat MC; jeśli nie mówi, co poprawić, zgłoś numer zamówienia obsłudze systemu MC")


def mc_error(code: str | None) -> McErrorCode:
    return MC_ERROR_CODES.get((code or "").strip().upper(), UNKNOWN)
