"""The HTTP API: routes over the domain package, for the api Lambda and the local API server."""

from plot_palette.api.app import build_resolver
from plot_palette.api.services import ApiServices
from plot_palette.api.settings import ApiSettings

__all__ = ["ApiServices", "ApiSettings", "build_resolver"]
