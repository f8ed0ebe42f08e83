"""The reference SDK's exception classes (``opengradient.exceptions``), raised by og-tui's errors.

    from og_tui.sdk.exceptions import OpenGradientError, AuthenticationError
    try:
        og.infer(cid, og.InferenceMode.VANILLA, {...})
    except OpenGradientError as exc:      # catches every og-tui error an SDK call raises
        print(exc)                        # og-tui's message, e.g. "... reverted: ..."

Every public function of ``og_tui.sdk`` (and every ``Client`` method) turns an
:class:`og_tui.core.errors.OGError` into an instance of a class that inherits from
*both* the matching SDK class below and the original og-tui class, so ``except``
clauses written for either family work. The message stays og-tui's (with its hint in
``hint``); ``status_code`` is the HTTP status where there is one.

Mapping (og-tui -> SDK): ValidationError -> InvalidInputError; AuthError ->
AuthenticationError; InsufficientFunds and SpendCapExceeded -> InsufficientCreditsError;
NetworkUnreachable -> NetworkError; TxReverted and the other chain errors ->
InferenceError; HubError -> ServerError (5xx), RateLimitError (429), UploadError (on
upload), else OpenGradientError; anything else -> OpenGradientError.
"""

from __future__ import annotations

import functools
import threading
from typing import Any, Callable, Dict, List, Optional, Tuple, Type, TypeVar, cast

from og_tui.core import errors as E

__all__ = [
    "OpenGradientError",
    "FileNotFoundError",
    "UploadError",
    "InferenceError",
    "ResultRetrievalError",
    "AuthenticationError",
    "RateLimitError",
    "InvalidInputError",
    "ServerError",
    "TimeoutError",
    "NetworkError",
    "UnsupportedModelError",
    "InsufficientCreditsError",
    "translate",
    "translating",
]


class OpenGradientError(Exception):
    """Base exception for OpenGradient SDK"""

    def __init__(self, message: Any, status_code: Optional[int] = None, response: Any = None) -> None:
        self.message = message
        self.status_code = status_code
        self.response = response
        super().__init__(self.message)

    def __str__(self) -> str:
        return f"{self.message} (Status code: {self.status_code})"


class FileNotFoundError(OpenGradientError):  # noqa: A001 - name from the reference API
    """Raised when a file is not found"""

    def __init__(self, file_path: Any) -> None:
        super().__init__(f"File not found: {file_path}")
        self.file_path = file_path


class UploadError(OpenGradientError):
    """Raised when there's an error during file upload"""

    def __init__(self, message: Any, file_path: Any = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.file_path = file_path


class InferenceError(OpenGradientError):
    """Raised when there's an error during inference"""

    def __init__(self, message: Any, model_cid: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.model_cid = model_cid


class ResultRetrievalError(OpenGradientError):
    """Raised when there's an error retrieving results"""

    def __init__(self, message: Any, inference_cid: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.inference_cid = inference_cid


class AuthenticationError(OpenGradientError):
    """Raised when there's an authentication error"""

    def __init__(self, message: Any = "Authentication failed", **kwargs: Any) -> None:
        super().__init__(message, **kwargs)


class RateLimitError(OpenGradientError):
    """Raised when API rate limit is exceeded"""

    def __init__(self, message: Any = "Rate limit exceeded", retry_after: Any = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class InvalidInputError(OpenGradientError):
    """Raised when invalid input is provided"""

    def __init__(self, message: Any, invalid_fields: Optional[List[str]] = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.invalid_fields = invalid_fields or []


class ServerError(OpenGradientError):
    """Raised when a server error occurs"""


class TimeoutError(OpenGradientError):  # noqa: A001 - name from the reference API
    """Raised when a request times out"""

    def __init__(self, message: Any = "Request timed out", timeout: Any = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.timeout = timeout


class NetworkError(OpenGradientError):
    """Raised when a network error occurs"""


class UnsupportedModelError(OpenGradientError):
    """Raised when an unsupported model type is used"""

    def __init__(self, model_type: Any) -> None:
        super().__init__(f"Unsupported model type: {model_type}")
        self.model_type = model_type


class InsufficientCreditsError(OpenGradientError):
    """Raised when the user has insufficient credits for the operation"""

    def __init__(
        self,
        message: Any = "Insufficient credits",
        required_credits: Any = None,
        available_credits: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.required_credits = required_credits
        self.available_credits = available_credits

    def __str__(self) -> str:
        base_str = super().__str__()
        if self.required_credits is not None and self.available_credits is not None:
            return f"{base_str} (Required: {self.required_credits}, Available: {self.available_credits})"
        return base_str


# --- og-tui errors -> SDK classes ------------------------------------------------------------


def _sdk_class(exc: E.OGError, context: Optional[str]) -> Type[OpenGradientError]:
    status = getattr(exc, "status", None)
    if isinstance(exc, E.ValidationError):
        return InvalidInputError
    if isinstance(exc, E.AuthError):
        return AuthenticationError
    if isinstance(exc, (E.InsufficientFunds, E.SpendCapExceeded)):
        return InsufficientCreditsError
    if isinstance(exc, E.NetworkUnreachable):
        return NetworkError
    if isinstance(exc, E.ChainError):
        return InferenceError
    if isinstance(exc, E.HubError):
        if status == 429:
            return RateLimitError
        if isinstance(status, int) and status >= 500:
            return ServerError
        if context == "upload":
            return UploadError
    return OpenGradientError


_combined: Dict[Tuple[type, type], type] = {}
_combined_lock = threading.Lock()


def _combine(sdk_cls: Type[OpenGradientError], og_cls: type) -> type:
    """A class deriving from both: ``except`` clauses of either family catch it."""
    key = (sdk_cls, og_cls)
    with _combined_lock:
        cls = _combined.get(key)
        if cls is None:

            def __str__(self: E.OGError) -> str:
                return E.OGError.__str__(self)

            cls = type(
                og_cls.__name__,
                (og_cls, sdk_cls),
                {
                    "__str__": __str__,
                    "__repr__": E.OGError.__repr__,
                    "__module__": og_cls.__module__,
                    "__qualname__": og_cls.__qualname__,
                    "__doc__": f"{og_cls.__name__} raised through og_tui.sdk (also an og_tui.sdk.exceptions.{sdk_cls.__name__}).",
                },
            )
            _combined[key] = cls
    return cls


def translate(exc: BaseException, context: Optional[str] = None) -> BaseException:
    """The SDK-compatible form of ``exc`` (itself when it is not an og-tui error or already SDK-shaped)."""
    if not isinstance(exc, E.OGError) or isinstance(exc, OpenGradientError):
        return exc
    sdk_cls = _sdk_class(exc, context)
    cls = _combine(sdk_cls, type(exc))
    new = cast(Any, BaseException.__new__(cls, *exc.args))
    new.__dict__.update(exc.__dict__)
    new.args = exc.args
    new.status_code = getattr(exc, "status", None)
    new.response = None
    # the SDK class's own fields, with its defaults
    if sdk_cls is InvalidInputError:
        fld = getattr(exc, "field", None)
        new.invalid_fields = [fld] if fld else []
    elif sdk_cls is InferenceError:
        new.model_cid = None
    elif sdk_cls is UploadError:
        new.file_path = None
    elif sdk_cls is RateLimitError:
        new.retry_after = None
    elif sdk_cls is InsufficientCreditsError:
        new.required_credits = getattr(exc, "amount", None)
        new.available_credits = None
    new.__cause__, new.__context__ = exc.__cause__, exc.__context__
    new.__traceback__ = exc.__traceback__
    return cast(BaseException, new)


F = TypeVar("F", bound=Callable[..., Any])


def translating(context: Optional[str] = None) -> Callable[[F], F]:
    """Decorator: og-tui errors leave the function as SDK-compatible exceptions."""

    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except E.OGError as exc:
                raise translate(exc, context) from exc.__cause__

        return cast(F, call)

    return wrap
