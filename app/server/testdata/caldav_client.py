"""One step of a CalDAV session with Python's caldav library (Debian's
python3-caldav), for app/server's dav_clients_test.go. The step comes as
JSON in argv[1]; the answer is JSON on stdout. Errors of the library are
answered, not raised, so the Go test can assert on them."""
import datetime
import json
import sys

import caldav
from caldav.lib import error


def main():
    a = json.loads(sys.argv[1])
    client = caldav.DAVClient(url=a["url"], username=a["user"], password=a["password"])
    out = {}
    try:
        principal = client.principal()
        cals = principal.calendars()
        out["calendars"] = [c.name for c in cals]
        cal = next((c for c in cals if c.name == a.get("calendar")), None)
        op = a["op"]
        if op == "discover":
            pass
        elif op == "make":
            made = principal.make_calendar(name=a["name"])
            ev = made.save_event(a["ics"])
            out["url"] = str(made.url)
            out["event_url"] = str(ev.url)
        elif op == "sync":
            # WebDAV sync (RFC 6578): everything with no token, then only
            # what changed since the token given.
            objs = cal.objects_by_sync_token(sync_token=a.get("token") or None, load_objects=True)
            out["token"] = objs.sync_token
            out["uids"] = sorted(str(o.icalendar_component.get("uid")) for o in objs if o.data)
            out["deleted"] = sorted(str(o.url).rsplit("/", 1)[-1] for o in objs if not o.data)
        elif op == "create":
            ev = cal.save_event(a["ics"])
            out["url"] = str(ev.url)
        elif op == "read":
            ev = cal.event_by_uid(a["uid"])
            out["url"] = str(ev.url)
            out["summary"] = str(ev.icalendar_component.get("summary"))
        elif op == "list":
            start = datetime.datetime.fromisoformat(a["from"])
            end = datetime.datetime.fromisoformat(a["to"])
            evs = cal.date_search(start=start, end=end, expand=False)
            out["uids"] = sorted(str(e.icalendar_component.get("uid")) for e in evs)
        elif op == "update":
            ev = cal.event_by_uid(a["uid"])
            ev.icalendar_component["summary"] = a["summary"]
            ev.save()
        elif op == "delete":
            cal.event_by_uid(a["uid"]).delete()
        elif op == "put_if_match":
            # A conditional PUT, as a client holding an old copy sends it.
            r = client.put(a["href"], a["ics"], {"Content-Type": "text/calendar; charset=utf-8", "If-Match": a["etag"]})
            out["status"] = r.status
        else:
            raise SystemExit("unknown op " + op)
    except error.AuthorizationError as e:
        out["error"] = "unauthorized"
        out["detail"] = str(e)
    except error.NotFoundError as e:
        out["error"] = "not_found"
        out["detail"] = str(e)
    print(json.dumps(out))


main()
