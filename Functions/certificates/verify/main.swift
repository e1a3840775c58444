import Certificates
import Runtime

Function.run(VerifyCertificate.endpoint)
