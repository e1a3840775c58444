import Certificates
import Runtime

Function.run(CertificateDownload.endpoint)
