// Run by ErrorsTests.Errors_MissingNativeLibraryNamesFileAndPlaces from a folder that holds
// Sandgate.dll but not the native library: prints the exception a user would see.
using System;

internal static class MissingLibraryProbe
{
    private static int Main()
    {
        try
        {
            Sandgate.ApiKeys.Hash("x");
            Console.WriteLine("the native library loaded");
            return 0;
        }
        catch (DllNotFoundException e)
        {
            Console.WriteLine(e.GetType().FullName + ": " + e.Message);
            return 3;
        }
    }
}
