"""`vp`: refresh, check, export and build the VP workbook from the command line (no Excel needed)."""

import argparse
import os
import sys
from contextlib import contextmanager
from pathlib import Path

from rules.engine import get_engine
from rules.errors import VPError
from rules.rulebook import RULEBOOK_ENV, load_rulebook, rulebook_path


def _progress(message):
    print(message, file=sys.stderr, flush=True)


def _checked(book):
    """A rulebook that assesses: loaded and self-tested (its examples run), else RulebookError (exit 2)."""
    get_engine(book)
    return book


def _workbook_rulebook(source, args):
    """--rulebook when given, else the rulebook the workbook records (see workbook/rulebook_record.py)."""
    from .rulebook_record import rulebook_for

    return _checked(rulebook_for(source, args.rulebook))


@contextmanager
def _writable_workbook(args):
    """The file to write, checked (an .xlsx, not open in Excel) and locked, with the rulebook it follows:
    a second command on the same file waits for the first, so no log row is lost."""
    from .xlsx import XlsxBook, check_not_open, check_xlsx, workbook_lock

    path = Path(args.file)
    check_xlsx(path)
    check_not_open(path)
    with workbook_lock(path, progress=_progress):
        source = XlsxBook(path)
        yield path, source, _workbook_rulebook(source, args)


def cmd_refresh(args):
    from .refresh import format_findings, format_follow_up, format_overview, run_refresh

    with _writable_workbook(args) as (path, source, book):
        result = run_refresh(source, book, progress=_progress, period=args.period)
        backup = source.save()
    for notice in source.notices:
        _progress(f"Obs: {notice}.")
    print(format_overview(result))
    print(format_follow_up(result, book))
    print()
    print(f"Fynd: {len(result.findings)}" + (f"\n{format_findings(result.findings)}" if result.findings else ""))
    if result.first:  # nothing to compare with, as the log says
        print("Ändrade statusar: första uppdateringen")
    else:
        print(f"Ändrade statusar: {len(result.changes)}" + "".join(f"\n  {c}" for c in result.changes))
    print(f"Sparad: {path} (säkerhetskopia: {backup.name})")
    return 0


def cmd_approve(args):
    """Fix a period (or reopen one) in the file: through the file adapter, under the lock, after a backup."""
    from . import layout as L
    from .approve import approve_period, reopen_period
    from .periodstate import PeriodFixed

    if bool(args.period) == bool(args.reopen):
        raise PeriodFixed("Ange antingen --period P --by NAMN (fastställ) eller --reopen P --reason \"...\" (öppna igen).")
    if args.reopen and (args.decision or args.despite_findings):
        raise PeriodFixed("--decision och --despite-findings hör till fastställandet, inte till --reopen.")
    if args.period and args.reason:
        raise PeriodFixed("--reason hör till --reopen; för att fastställa trots fynd: --despite-findings \"skäl\".")
    with _writable_workbook(args) as (path, source, book):
        if args.reopen:
            done = reopen_period(source, args.reopen, args.reason, by=args.by, book=book)
        else:
            done = approve_period(source, args.period, args.by, args.decision, args.despite_findings, book=book)
        backup = source.save()
    print(f"{done.period}: {done.line}.")
    if done.findings:
        print(f"Fastställd trots {len(done.findings)} fynd (skälet står i {L.APPROVALS} och i loggen).")
    print(f"Sparad: {path} (säkerhetskopia: {backup.name})")
    return 0


def cmd_check(args):
    from .refresh import format_findings, run_refresh
    from .xlsx import XlsxBook

    source = XlsxBook(args.file, read_only=True)
    result = run_refresh(source, _workbook_rulebook(source, args), progress=_progress, write=False)
    print(format_findings(result.findings))
    return 1 if result.findings else 0


def cmd_kolada(args):
    from .kolada import KoladaClient, KoladaRequestError, run_kolada, search
    from .refresh import format_findings

    if args.search:
        client = KoladaClient(_checked(load_rulebook(args.rulebook)), url=args.url)
        try:
            found = search(client, args.search)
        except KoladaRequestError as exc:
            raise VPError(f"--search \"{args.search}\": {exc.problem}.") from None
        finally:
            client.close()
        for ident, title, unit in found:
            print(f"{ident}\t{unit or '-'}\t{title}")
        print(f"{len(found)} KPI:er vars titel innehåller \"{args.search}\" (Källa: Kolada (RKA), CC BY 4.0).")
        return 0
    if not args.file:
        raise VPError("vp kolada: ange arbetsboken (vp kolada FIL) eller --search \"ord\".")
    # the workbook's own rulebook (its municipality, limits and comparison rule), as every command
    with _writable_workbook(args) as (path, source, book):
        client = KoladaClient(book, url=args.url)
        try:
            result = run_kolada(source, book, client, year=args.year, progress=_progress)
            backup = source.save()
        finally:
            client.close()
    for notice in source.notices:
        _progress(f"Obs: {notice}.")
    print(f"Kolada: {result.fetched_rows} av {len(result.rows)} värden hämtade "
          f"({', '.join(f'{n} {k}' for k, n in result.client_stats.items())}).")
    print(f"Fynd: {len(result.findings)}" + (f"\n{format_findings(result.findings)}" if result.findings else ""))
    print(f"Sparad: {path} (säkerhetskopia: {backup.name})")
    return 0


def cmd_report(args):
    from .report import run_report_command

    return run_report_command(args, _progress)


def cmd_export(args):
    from rules.rulebook import use_rulebook

    from .export import export_values
    from .rulebook_record import record_findings
    from .xlsx import XlsxBook

    source = XlsxBook(args.file, read_only=True)
    book = _workbook_rulebook(source, args)
    for finding in record_findings(source, book):  # a values copy has no Kontroll sheet: said here
        _progress(f"Obs: [{finding.rule}] {finding.message}")
    with use_rulebook(book.path):  # the =VP_* formulas calculated with the workbook's rulebook
        out = export_values(Path(args.file), Path(args.out), progress=_progress)
    print(f"Värdekopia skriven: {out}")
    return 0


def cmd_new(args):
    from .build import build_workbook

    path = Path(args.file)
    if path.exists() and not args.force:
        raise VPError(f"{path} finns redan; välj ett annat namn eller använd --force.")
    build_workbook(path, example=args.example, server=args.server,
                   book=_checked(load_rulebook(args.rulebook)))
    print(f"Ny arbetsbok: {path}" + (" (för VP-servern: =VP.INDICATORSCORE(...) osv.)" if args.server else ""))
    return 0


def cmd_convert(args):
    from .convert import NothingToConvert, convert_file, form_label

    path = Path(args.file)
    try:
        written, backup = convert_file(path, args.to, out=args.out)
    except NothingToConvert as exc:
        print(exc)
        return 0
    if written is None:
        print(f"{path.name} har redan funktionerna för {form_label(args.to)}; ingenting ändrades.")
        return 0
    print(f"Sparad: {written} med funktionerna för {form_label(args.to)}"
          + (f" (säkerhetskopia: {backup.name})" if backup else ""))
    return 0


def cmd_addin(args):
    from xl_addin import install

    try:
        if args.action == "install":
            install.install(args.dest, with_xlwings_tab=args.with_xlwings_tab)
        else:
            install.remove(args.dest)
    except install.AddinInstallError as exc:
        print(f"Fel: {exc}", file=sys.stderr)
        return 2
    return 0


def cmd_serve(args):
    from xl_addin.server import serve

    if args.rulebook:  # the workers are other processes: they read the rulebook in force from the environment
        os.environ[RULEBOOK_ENV] = str(Path(args.rulebook).resolve())
    return serve(host=args.host, port=args.port, workers=args.workers, local=args.lokal,
                 ssl_certfile=args.ssl_certfile, ssl_keyfile=args.ssl_keyfile)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="vp", description="VP-regelmotorn: Omsorgsnämndens verksamhetsplan.")
    parser.add_argument("--rulebook", help=f"regelbok (standard: {rulebook_path()})")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("refresh", help="uppdatera översikt, kontroll och logg i en arbetsbok")
    p.add_argument("file")
    p.add_argument("--period", help="uppföljningsperioden, t.ex. \"Delår 1 2025\" (skrivs i Översikt; krävs om cellen är tom)")
    p.set_defaults(run=cmd_refresh)
    p = sub.add_parser("approve", help="fastställ en period (eller öppna den igen): vem, när, beslut; "
                                       "periodens rader i Historik ändras sedan inte")
    p.add_argument("file")
    p.add_argument("--period", help="perioden som fastställs, t.ex. \"Delår 1 2025\" (den som står i Översikt)")
    p.add_argument("--by", metavar="NAMN", help="vem som fastställer (namn; krävs för att fastställa)")
    p.add_argument("--decision", metavar="BESLUT", help="nämndens beslut, t.ex. \"ON 2025/123 § 45\" (dnr/paragraf)")
    p.add_argument("--despite-findings", metavar="SKÄL", help="fastställ trots kontrollens fynd; skälet loggas")
    p.add_argument("--reopen", metavar="PERIOD", help="öppna en fastställd period igen (kräver --reason)")
    p.add_argument("--reason", metavar="SKÄL", help="varför perioden öppnas igen (loggas)")
    p.set_defaults(run=cmd_approve)
    p = sub.add_parser("check", help="lista fynd utan att skriva något (slutstatus 1 om fynd)")
    p.add_argument("file")
    p.set_defaults(run=cmd_check)
    p = sub.add_parser("report", help="skriv nämndens uppföljningsrapport (Word) för perioden; ändrar inte arbetsboken")
    p.add_argument("file")
    p.add_argument("--period", help="perioden (standard: den i Översikt; krävs om cellen är tom)")
    p.add_argument("--out", help="rapportfilen (.docx; standard: bredvid arbetsboken)")
    p.add_argument("--template", metavar="MALL.docx",
                   help="kommunens Word-mall (formatmallar, sidhuvud, sidfot, logga); utan den rapportens egen stil")
    p.add_argument("--with-rule-ids", action="store_true",
                   help="skriv regelns id efter varje förklaring (ekonomens eget exemplar; nämndens utan)")
    p.add_argument("--pdf", action="store_true",
                   help="gör också en taggad PDF (PDF/UA) bredvid rapporten; kräver LibreOffice")
    p.set_defaults(run=cmd_report)
    p = sub.add_parser("kolada", help="hämta indikatorernas värden från Kolada till bladet Kolada-värden")
    p.add_argument("file", nargs="?")
    p.add_argument("--year", type=int, help="året att hämta där År är tomt (standard: planåret)")
    p.add_argument("--url", help="Koladas API-adress (standard: VP_KOLADA_URL eller regelbokens kolada.base_url)")
    p.add_argument("--search", metavar="ORD", help="lista KPI:er vars titel innehåller ORD (id, enhet, titel)")
    p.set_defaults(run=cmd_kolada)
    p = sub.add_parser("export", help="skriv en kopia med bara värden")
    p.add_argument("file")
    p.add_argument("--out", required=True)
    p.set_defaults(run=cmd_export)
    p = sub.add_parser("new", help="bygg en ny VP-arbetsbok från planens tabeller")
    p.add_argument("file")
    p.add_argument("--example", action="store_true", help="med exempelutfall")
    p.add_argument("--force", action="store_true")
    p.add_argument("--server", action="store_true",
                   help="med VP-serverns funktioner (=VP.INDICATORSCORE) i stället för det klassiska tilläggets")
    p.set_defaults(run=cmd_new)
    p = sub.add_parser("convert", help="byt arbetsbokens VP-funktioner mellan det klassiska tillägget och VP-servern")
    p.add_argument("file")
    p.add_argument("--to", required=True, choices=["server", "classic"],
                   help="server: =VP.INDICATORSCORE(...) (Office.js); classic: =VP_INDICATORSCORE(...) (vp.xlam)")
    p.add_argument("--out", help="skriv en kopia hit i stället för att ändra filen")
    p.set_defaults(run=cmd_convert)
    p = sub.add_parser("addin", help="installera eller ta bort Excel-tillägget")
    p.add_argument("action", choices=["install", "remove"])
    p.add_argument("--dest", help="mapp att installera i (standard: Excels XLSTART)")
    p.add_argument("--with-xlwings-tab", action="store_true",
                   help="installera även xlwings eget tillägg (en extra flik; behövs inte för VP)")
    p.set_defaults(run=cmd_addin)
    p = sub.add_parser("serve", help="starta VP-servern (xlwings Server): funktionerna och VP-fliken utan Python på datorn")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1, help="arbetsprocesser (var och en har sin egen regelmotor)")
    p.add_argument("--lokal", action="store_true", help="lokalt läge utan inloggning, bara för utveckling och test")
    p.add_argument("--ssl-certfile", help="certifikat (PEM) för HTTPS direkt i servern")
    p.add_argument("--ssl-keyfile", help="certifikatets nyckel (PEM)")
    p.set_defaults(run=cmd_serve)
    for command in sub.choices.values():  # `vp export --rulebook X FIL` as well as `vp --rulebook X export FIL`
        command.add_argument("--rulebook", default=argparse.SUPPRESS, help="regelbok (som --rulebook före kommandot)")
    args = parser.parse_args(argv)
    try:
        _checked(load_rulebook(args.rulebook))  # a broken rulebook stops every command here, in one line
        return args.run(args)
    except VPError as exc:
        # an error that reads differently on the command line (a missing --period) says so itself
        print(f"Fel: {exc.for_command_line() if hasattr(exc, 'for_command_line') else exc}", file=sys.stderr)
        return 2
    except PermissionError as exc:
        print(f"Fel: filen går inte att skriva ({exc.filename}); är den öppen någon annanstans?", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("Avbrutet; filen är oförändrad.", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - one Swedish line, never a traceback (VP_DEBUG=1 shows it)
        if os.environ.get("VP_DEBUG"):
            raise
        print(f"Fel: {_unexpected(args, exc)}", file=sys.stderr)
        return 2


def _unexpected(args, exc):
    """An error nobody foresaw, said in Swedish with the file it concerns (no library text)."""
    name = Path(args.file).name if getattr(args, "file", None) else "kommandot"
    if isinstance(exc, MemoryError):
        return f"{name}: minnet räckte inte till; filen är för stor eller skadad. Ingenting ändrades."
    if isinstance(exc, OSError):
        from .package import _os_reason

        return f"{name}: filen gick inte att läsa eller skriva ({_os_reason(exc)}). Ingenting ändrades."
    return (f"{name}: ett oväntat fel ({type(exc).__name__}) stoppade körningen; ingenting ändrades. "
            "Kör igen med VP_DEBUG=1 och skicka utskriften till den som underhåller VP-regelmotorn.")


if __name__ == "__main__":
    sys.exit(main())
