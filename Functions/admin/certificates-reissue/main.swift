import Certificates
import Runtime

Function.run(ReissueCertificate.endpoint)
