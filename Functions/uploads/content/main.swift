import Media
import Runtime

Function.run(UploadContent.handle, body: .stream)
