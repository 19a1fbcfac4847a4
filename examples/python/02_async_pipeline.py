# The article's snippet as in ../shared/peers/fastapi/app.py, made runnable (import, app).
import httpx
from fastapi import FastAPI

app = FastAPI()


def process_with_model(prompt: str, context) -> str:
    return f"{prompt}:{len(str(context))}"


@app.get("/generate")
async def generate(prompt: str):
    async with httpx.AsyncClient() as client:
        response = await client.get("http://127.0.0.1:9000/context", params={"query": prompt})
    context = response.json()
    result = process_with_model(prompt, context)
    return {"result": result}
