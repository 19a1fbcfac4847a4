wrk.method = "POST"
wrk.body = '{"name":"pen","price":1.5,"quantity":3}'
wrk.headers["Content-Type"] = "application/json"
