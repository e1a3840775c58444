import Checkout
// Calls the payment providers: linked with libcurl and built with the workers (infra/scripts/lib.sh).
import HTTPClient
import Runtime

Function.run(CreateOrder.endpoint)
