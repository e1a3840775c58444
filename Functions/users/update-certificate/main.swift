import Certificates
import Runtime

Function.run(UpdateCertificate.endpoint)
