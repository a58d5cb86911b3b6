"""Polish first names and surnames for demo stores (female form, male form)."""

FEMALE = (
    "Anna Maria Katarzyna Małgorzata Agnieszka Barbara Ewa Krystyna Elżbieta Magdalena "
    "Joanna Aleksandra Zofia Monika Teresa Danuta Natalia Karolina Marta Julia Beata "
    "Dorota Halina Jadwiga Jolanta Iwona Grażyna Alicja Paulina Justyna Urszula Wiktoria "
    "Weronika Oliwia Zuzanna Łucja Gabriela Emilia Hanna Maja Lena Amelia Nikola Patrycja "
    "Kinga Żaneta Róża Jagoda Bożena Sylwia Agata Klaudia Dominika Izabela Milena Ilona"
).split()
MALE = (
    "Piotr Krzysztof Andrzej Tomasz Paweł Jan Michał Marcin Jakub Adam Łukasz Marek "
    "Grzegorz Mateusz Wojciech Mariusz Dariusz Zbigniew Maciej Rafał Kamil Robert Jacek "
    "Szymon Filip Bartłomiej Dawid Mikołaj Antoni Stanisław Józef Wiktor Kacper Igor "
    "Oskar Sebastian Przemysław Karol Hubert Jarosław Bogdan Leszek Ryszard Artur Daniel "
    "Damian Patryk Konrad Błażej Cezary Dominik Witold Zdzisław Ignacy Henryk Franciszek"
).split()
# (female, male)
SURNAMES = [
    tuple(pair.split("/")) if "/" in pair else (pair, pair)
    for pair in (
        "Nowak Kowalska/Kowalski Wiśniewska/Wiśniewski Wójcik Kowalczyk Kamińska/Kamiński "
        "Lewandowska/Lewandowski Zielińska/Zieliński Szymańska/Szymański Woźniak "
        "Dąbrowska/Dąbrowski Kozłowska/Kozłowski Jankowska/Jankowski Mazur Kwiatkowska/Kwiatkowski "
        "Krawczyk Piotrowska/Piotrowski Grabowska/Grabowski Nowakowska/Nowakowski Pawłowska/Pawłowski "
        "Michalska/Michalski Nowicka/Nowicki Adamczyk Dudek Zając Wieczorek Jabłońska/Jabłoński "
        "Król Majewska/Majewski Olszewska/Olszewski Jaworska/Jaworski Wróbel Malinowska/Malinowski "
        "Pawlak Witkowska/Witkowski Walczak Stępień Górska/Górski Rutkowska/Rutkowski Michalak "
        "Sikora Ostrowska/Ostrowski Baran Duda Szewczyk Tomaszewska/Tomaszewski Pietrzak "
        "Marciniak Wróblewska/Wróblewski Zalewska/Zalewski Jakubowska/Jakubowski Jasińska/Jasiński "
        "Zawadzka/Zawadzki Sadowska/Sadowski Bąk Chmielewska/Chmielewski Włodarczyk "
        "Borkowska/Borkowski Czarnecka/Czarnecki Sawicka/Sawicki Sokołowska/Sokołowski Urbańska/Urbański "
        "Kubiak Maciejewska/Maciejewski Szczepańska/Szczepański Kucharska/Kucharski Wilk Kalinowska/Kalinowski "
        "Lis Mazurek Wysocka/Wysocki Adamska/Adamski Kaźmierczak Wasilewska/Wasilewski "
        "Sobczak Czerwińska/Czerwiński Andrzejewska/Andrzejewski Cieślak Głowacka/Głowacki "
        "Zakrzewska/Zakrzewski Kołodziej Sikorska/Sikorski Krajewska/Krajewski Gajewska/Gajewski "
        "Szymczak Szulc Baranowska/Baranowski Laskowska/Laskowski Brzezińska/Brzeziński "
        "Makowska/Makowski Ziółkowska/Ziółkowski Przybylska/Przybylski Żak Łuczak Bachta Żółkiewska/Żółkiewski"
    ).split()
]
PROGRAMMES = {
    "I": [("INF-S1", "Informatyka"), ("EKO-S1", "Ekonomia"), ("PED-S1", "Pedagogika"),
          ("BUD-S1", "Budownictwo"), ("FIL-S1", "Filologia polska"), ("MAT-S1", "Matematyka")],
    "II": [("INF-S2", "Informatyka"), ("ZAR-S2", "Zarządzanie"), ("SOC-S2", "Socjologia"),
           ("BIO-S2", "Biotechnologia")],
    "JM": [("PRA-JM", "Prawo"), ("PSY-JM", "Psychologia"), ("LEK-JM", "Kierunek lekarski")],
    "DR": [("SD-NS", "Szkoła Doktorska Nauk Ścisłych"), ("SD-NH", "Szkoła Doktorska Nauk Humanistycznych")],
    "PD": [("PD-RACH", "Rachunkowość (podyplomowe)"), ("PD-IOD", "Inspektor ochrony danych (podyplomowe)")],
}
MC_ERRORS = [
    ("PESEL_MISMATCH", "Dane osobowe niezgodne z rejestrem PESEL"),
    ("PHOTO_REJECTED", "Zdjęcie nie spełnia wymagań dokumentu"),
    ("PERSON_NOT_FOUND", "Osoba nie figuruje w rejestrze PESEL"),
    ("DUPLICATE_ACTIVE_CARD", "Osoba ma już aktywną mLegitymację tej uczelni"),
]
# Dean's-office logins that revoke cards in the demo's histories.
STAFF_LOGINS = ["a.kowalczyk", "m.nowicka", "j.wrobel"]
STRIKE_OFF_REASONS = [
    "skreślenie z listy studentów: SKR-102 (niewniesienie opłat związanych z odbywaniem studiów)",
    "skreślenie z listy studentów: SKR-101 (rezygnacja ze studiów)",
    "skreślenie z listy studentów: SKR-104 (niezłożenie pracy dyplomowej w terminie)",
]
