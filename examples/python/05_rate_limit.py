# The article's snippet (slowapi, which Debian does not package: ../shared/peers/fastapi/app.py
# hand-writes the limit instead), made runnable (imports, app, the limiter's registration).
from fastapi import FastAPI, Request
from slowapi import Limiter, _rate_limit_exceeded_handler
from slowapi.errors import RateLimitExceeded
from slowapi.util import get_remote_address

limiter = Limiter(key_func=get_remote_address)
app = FastAPI()
app.state.limiter = limiter
app.add_exception_handler(RateLimitExceeded, _rate_limit_exceeded_handler)


@app.get("/ai")
@limiter.limit("10/minute")
async def ai_endpoint(request: Request):
    return {"result": "ok"}
