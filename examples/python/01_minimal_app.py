# The article's snippet as in ../shared/peers/fastapi/app.py, made runnable (import, app).
from fastapi import FastAPI

app = FastAPI()


@app.get("/health")
async def health():
    return {"status": "ok"}
