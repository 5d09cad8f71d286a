"""The upload size limit, enforced while the bytes arrive rather than after a worker has read them."""

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.utils.translation import gettext as _

# Room for the form's other fields and the multipart boundaries on top of the file itself.
FORM_OVERHEAD_BYTES = 1024 * 1024


def body_too_large(content_length: int) -> bool:
    """The Content-Length pre-check: refused before a byte of the body is read."""
    return content_length > settings.UPLOAD_MAX_BYTES + FORM_OVERHEAD_BYTES


def upload_too_large_message() -> str:
    limit = settings.UPLOAD_MAX_BYTES
    size = f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KB"
    return _("The file is larger than %(limit)s; split it by village.") % {"limit": size}


class UploadLimitHandler(FileUploadHandler):
    """First in FILE_UPLOAD_HANDLERS: counts the bytes of every file of the request and stops the parser,
    without reading the rest of the body, once they pass UPLOAD_MAX_BYTES. A body without a Content-Length
    (chunked) or one that lied about it ends here too. The middleware turns the mark into a 413."""

    def __init__(self, request=None):
        super().__init__(request)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > settings.UPLOAD_MAX_BYTES:
            if self.request is not None:
                self.request.upload_too_large = True
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size):
        return None
