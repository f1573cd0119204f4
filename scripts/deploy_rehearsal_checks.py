"""What scripts/deploy-rehearsal checks over HTTP, as a reader and an editor would.

    python -m scripts.deploy_rehearsal_checks before-upgrade STATE_FILE HTTPS_PORT APP_PORT...
    python -m scripts.deploy_rehearsal_checks after-restore STATE_FILE HTTPS_PORT APP_PORT...

(from the repo's root, which makes tests.helpers importable).

`before-upgrade` reads pages through nginx, checks /healthz on each app server by address,
logs in as the editor and uploads an image through nginx; the image's address and checksum go
to STATE_FILE. `after-restore` checks that the site, the editor's login and that image are
back. Exits non-zero with a message at the first failure.
"""

import hashlib
import json
import os
import sys
import uuid
from io import BytesIO
from pathlib import Path

from PIL import Image

from tests.helpers.servers import Client, form_fields

HOST = "localhost"  # the rehearsal's DJANGO_ALLOWED_HOSTS and nginx server_name
EDITOR = ("editor", os.environ.get("REHEARSAL_EDITOR_PASSWORD", ""))


def check(condition, message):
    if not condition:
        sys.exit(f"deploy-rehearsal: {message}")


def through_nginx(port):
    return Client(f"https://127.0.0.1:{port}", headers={"Host": HOST, "Origin": f"https://{HOST}"})


def reader_pages(port, app_ports):
    reader = through_nginx(port)
    for path in ("/", "/relief/", "/articles/calf-muscle-spasm/relief/"):
        response = reader.get(path)
        check(response.status == 200, f"{path} through nginx answered {response.status}")
        check("Strict-Transport-Security" in response.headers, f"{path} has no HSTS header")
    for app_port in app_ports:
        probe = Client(f"http://127.0.0.1:{app_port}").get(
            "/healthz", headers={"Host": f"127.0.0.1:{app_port}"}
        )
        check(probe.status == 200, f"/healthz on app server :{app_port} answered {probe.status}")


def log_in(port):
    editor = through_nginx(port)
    form = form_fields(editor.get("/admin/login/").text, "login-form")
    form.update(username=EDITOR[0], password=EDITOR[1], next="/admin/")
    response = editor.post("/admin/login/?next=/admin/", form)
    check(response.status == 302, f"the editor could not log in ({response.status})")
    return editor


def upload_image(editor):
    token = form_fields(editor.get("/admin/articles/section/add/").text, "section_form")[
        "csrfmiddlewaretoken"
    ]
    buffer = BytesIO()
    Image.new("RGB", (64, 48), "teal").save(buffer, "PNG")
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="image"; '
            f'filename="calf.png"\r\nContent-Type: image/png\r\n\r\n'
        ).encode()
        + buffer.getvalue()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = editor.request(
        "POST",
        "/markdownx/upload/",
        headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "X-Requested-With": "XMLHttpRequest",
            "X-CSRFToken": token,
            "Referer": f"https://{HOST}/admin/",
        },
        body=body,
    )
    check(response.status == 200, f"the upload answered {response.status}: {response.text}")
    code = json.loads(response.text)["image_code"]
    return code[code.index("(") + 1 : code.rindex(")")]


def image_digest(port, url):
    response = through_nginx(port).get(url)
    check(response.status == 200, f"the uploaded image {url} answered {response.status}")
    return hashlib.sha256(response.body).hexdigest()


def main():
    step, state_file, port, *app_ports = sys.argv[1:]
    state_file = Path(state_file)
    reader_pages(port, app_ports)
    editor = log_in(port)
    if step == "before-upgrade":
        url = upload_image(editor)
        state_file.write_text(json.dumps({"url": url, "sha256": image_digest(port, url)}))
        print(f"deploy-rehearsal: site up, image uploaded at {url}")
    elif step == "after-restore":
        state = json.loads(state_file.read_text())
        check(
            image_digest(port, state["url"]) == state["sha256"],
            f"the restored image {state['url']} differs",
        )
        print(f"deploy-rehearsal: site restored, image {state['url']} back")
    else:
        sys.exit(f"unknown step {step!r}")


if __name__ == "__main__":
    main()
